//! Media: the frontend's `media-front-upload-media` and `media-front-get-media` (bytes as a
//! data URL or bare base64), and `media-service-upload-media`, which pairs ids with types.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use deathstar_tests::{Net, deployments};
use serde_json::json;

use crate::support::{NOBODY, is_hex_id, refused};

// media-front-upload-media and media-front-get-media

/// Bytes that are not text: a PNG signature with a NUL and a 0xFF.
const IMAGE: &[u8] = &[0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0xff];

async fn upload_media_file_round_trips_the_bytes_through_a_data_url(net: Net) {
    let data_url = format!("data:image/png;base64,{}", STANDARD.encode(IMAGE));
    let uploaded = net
        .ok(
            "media-front-upload-media",
            json!({"filename": "cat.PNG", "file": data_url}),
        )
        .await;
    let media_id = uploaded["media_id"].as_str().unwrap();
    assert!(is_hex_id(media_id), "{uploaded}");
    assert_eq!(uploaded["media_type"], "png");

    let got = net
        .ok("media-front-get-media", json!({"media_id": media_id}))
        .await;
    assert_eq!(
        (&got["media_id"], &got["media_type"], &got["content_type"]),
        (&json!(media_id), &json!("png"), &json!("image/png"))
    );
    assert_eq!(got["file"], data_url);
    let payload = got["file"].as_str().unwrap();
    let payload = payload.strip_prefix("data:image/png;base64,").unwrap();
    assert_eq!(STANDARD.decode(payload).unwrap(), IMAGE);

    // The original's way of asking: `<media_id>.<media_type>`.
    let by_name = net
        .ok(
            "media-front-get-media",
            json!({"filename": format!("{media_id}.png")}),
        )
        .await;
    assert_eq!(by_name["file"], data_url);
}

/// Bytes a JPEG starts with (SOI, then a JFIF APP0 marker).
const JPEG: &[u8] = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00";

async fn upload_media_file_takes_a_bare_base64_payload(net: Net) {
    let uploaded = net
        .ok(
            "media-front-upload-media",
            json!({"filename": "holiday.photo.jpeg", "file": STANDARD.encode(JPEG)}),
        )
        .await;
    assert_eq!(uploaded["media_type"], "jpg");
    let got = net
        .ok(
            "media-front-get-media",
            json!({"media_id": uploaded["media_id"]}),
        )
        .await;
    assert_eq!(got["content_type"], "image/jpeg");
    assert_eq!(
        got["file"],
        format!("data:image/jpeg;base64,{}", STANDARD.encode(JPEG))
    );
}

/// The type is the bytes', not the name's or the data URL's: a PNG called `.gif` and declared
/// `text/html` is stored and served as a PNG.
async fn upload_media_file_stores_the_type_the_bytes_are(net: Net) {
    let file = format!("data:text/html;base64,{}", STANDARD.encode(IMAGE));
    let uploaded = net
        .ok(
            "media-front-upload-media",
            json!({"filename": "cat.gif", "file": file}),
        )
        .await;
    assert_eq!(uploaded["media_type"], "png");
    let got = net
        .ok(
            "media-front-get-media",
            json!({"media_id": uploaded["media_id"]}),
        )
        .await;
    assert_eq!(got["content_type"], "image/png");
}

/// A page, a script, an SVG (which can carry script) or a document is no image or video,
/// whatever it is called or declared: never stored, so never served back to a browser.
async fn upload_media_file_refuses_what_is_no_image_or_video(net: Net) {
    for (bytes, declared) in [
        (
            &b"<html><script>alert(document.cookie)</script></html>"[..],
            "image/png",
        ),
        (
            b"<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"/>",
            "image/svg+xml",
        ),
        (b"%PDF-1.7\n", "image/png"),
        (b"plain text", "image/jpeg"),
    ] {
        let file = format!("data:{declared};base64,{}", STANDARD.encode(bytes));
        refused(
            &net,
            "media-front-upload-media",
            json!({"filename": "cat.png", "file": file}),
            "InvalidFieldError",
            "file",
        )
        .await;
    }
}

async fn upload_media_file_refuses_a_payload_that_is_not_base64(net: Net) {
    for file in [
        "data:image/png;base64,@@not base64@@",
        "%%%%",
        "data:image/png,AAAA",
    ] {
        refused(
            &net,
            "media-front-upload-media",
            json!({"filename": "cat.png", "file": file}),
            "InvalidFieldError",
            "file",
        )
        .await;
    }
}

async fn upload_media_file_refuses_a_filename_without_extension(net: Net) {
    for filename in ["cat", "cat.", "cat.p g"] {
        refused(
            &net,
            "media-front-upload-media",
            json!({"filename": filename, "file": STANDARD.encode(IMAGE)}),
            "InvalidFieldError",
            "filename",
        )
        .await;
    }
}

async fn upload_media_file_refuses_a_missing_file(net: Net) {
    refused(
        &net,
        "media-front-upload-media",
        json!({"filename": "cat.png"}),
        "MissingFieldError",
        "file",
    )
    .await;
}

async fn get_media_reports_unknown_media(net: Net) {
    net.fails(
        "media-front-get-media",
        json!({"media_id": NOBODY}),
        404,
        "MediaNotFoundError",
    )
    .await;
    net.fails(
        "media-front-get-media",
        json!({"filename": format!("{NOBODY}.png")}),
        404,
        "MediaNotFoundError",
    )
    .await;
}

async fn get_media_needs_a_media_id_or_a_filename(net: Net) {
    refused(
        &net,
        "media-front-get-media",
        json!({}),
        "MissingFieldError",
        "media_id",
    )
    .await;
}

// media-service-upload-media

async fn upload_media_pairs_ids_with_types(net: Net) {
    let reply = net
        .ok(
            "media-service-upload-media",
            json!({"media_ids": ["m1", "m2"], "media_types": ["png", "jpg"]}),
        )
        .await;
    assert_eq!(
        reply["media"],
        json!([
            {"media_id": "m1", "media_type": "png"},
            {"media_id": "m2", "media_type": "jpg"},
        ])
    );
    let none = net.ok("media-service-upload-media", json!({})).await;
    assert_eq!(none["media"], json!([]));
}

async fn upload_media_refuses_lists_of_different_lengths(net: Net) {
    refused(
        &net,
        "media-service-upload-media",
        json!({"media_ids": ["m1", "m2"], "media_types": ["png"]}),
        "InvalidFieldError",
        "media_types",
    )
    .await;
}

async fn upload_media_refuses_an_invalid_type_or_an_empty_id(net: Net) {
    let cases = [
        (
            json!({"media_ids": ["m1", "m2"], "media_types": ["png", "PNG"]}),
            "media_types[1]",
        ),
        (
            json!({"media_ids": ["m1"], "media_types": [""]}),
            "media_types[0]",
        ),
        (
            json!({"media_ids": [""], "media_types": ["png"]}),
            "media_ids[0]",
        ),
    ];
    for (body, bad) in cases {
        refused(
            &net,
            "media-service-upload-media",
            body,
            "InvalidFieldError",
            bad,
        )
        .await;
    }
}

deployments!(
    // media-front-upload-media / media-front-get-media
    upload_media_file_round_trips_the_bytes_through_a_data_url,
    upload_media_file_takes_a_bare_base64_payload,
    upload_media_file_stores_the_type_the_bytes_are,
    upload_media_file_refuses_what_is_no_image_or_video,
    upload_media_file_refuses_a_payload_that_is_not_base64,
    upload_media_file_refuses_a_filename_without_extension,
    upload_media_file_refuses_a_missing_file,
    get_media_reports_unknown_media,
    get_media_needs_a_media_id_or_a_filename,
    // media-service-upload-media
    upload_media_pairs_ids_with_types,
    upload_media_refuses_lists_of_different_lengths,
    upload_media_refuses_an_invalid_type_or_an_empty_id,
);

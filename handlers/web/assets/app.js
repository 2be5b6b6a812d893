// ds-net's only script, and pages work without it: it says how much room a post has left
// (the server counts UTF-8 bytes, as the compose function does), refuses a file larger than
// the server takes before it is sent, and keeps a form from being sent twice by a double click.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const text = document.getElementById("post-text");
  const counter = document.getElementById("post-counter");
  if (text && counter) {
    const limit = Number(text.getAttribute("maxlength")) || 16384;
    const encoder = new TextEncoder();
    const update = () => {
      const left = limit - encoder.encode(text.value).length;
      counter.textContent = left < 200 ? `${left} left` : "";
      text.setCustomValidity(left < 0 ? "This post is too long." : "");
    };
    text.addEventListener("input", update);
    update();
  }
  const media = document.getElementById("post-media");
  if (media) {
    const limit = Number(media.dataset.maxBytes) || Infinity;
    media.addEventListener("change", () => {
      const file = media.files[0];
      const tooBig = file && file.size > limit;
      media.setCustomValidity(tooBig ? `This file is larger than ${Math.floor(limit / 1048576)} MiB.` : "");
      if (tooBig) media.reportValidity();
    });
  }
  for (const form of document.querySelectorAll("form")) {
    form.addEventListener("submit", () => {
      for (const button of form.querySelectorAll("button[type=submit]")) {
        // After this turn, so that the button's own value is still sent.
        setTimeout(() => { button.disabled = true; }, 0);
      }
    });
  }
});

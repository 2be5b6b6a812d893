// The ds-net scenario in a real Chromium: two people sign up, one follows the other, the other
// posts (a mention, a URL, an image, right-to-left text, emoji and an XSS attempt), the post
// shows on the follower's home timeline and on the author's profile, the follower opens the
// mention link and the author's profile, unfollows and logs out; a wrong password shows its
// error; unknown pages are a 404; no page has a console error, a failed request or a dialog.
//
// Usage: node tests/browser/scenario.mjs <base URL of the pages> [screenshot dir]
//   e.g. http://127.0.0.1:8080/ or http://127.0.0.1:8080/function/ds-net/
// With a screenshot dir, saves home-timeline.png and profile.png there (the README's).
// Exits non-zero, saying which step failed and why, on any failure.
import path from 'node:path';
import { expectNoProblems, launchBrowser, newPage } from './lib.mjs';

const [base, shots] = process.argv.slice(2);
if (!base) {
  console.error('usage: node tests/browser/scenario.mjs <base URL> [screenshot dir]');
  process.exit(2);
}
const root = base.endsWith('/') ? base : `${base}/`;
const url = (p) => new URL(p.replace(/^\//, ''), root).toString();

// Names unique to this run: the deployment's stores may hold earlier runs' users.
const run = Math.random().toString(36).slice(2, 8);
const alice = { first: 'Alice', last: 'Doğan', username: `alice_${run}`, password: 'correct horse 1' };
const bob = { first: 'Bob', last: 'Ng', username: `bob_${run}`, password: 'battery staple 2' };
const link = 'https://example.com/ds-net?q=1&r=2';
const xss = '<img src=x onerror=alert(1)><script>alert(2)</script>';
const text = `Hello @${bob.username}! Read ${link} — مرحبا بالعالم 🚀 ${xss}`;

// The image alice posts (480×240).
const image = new URL('./fixtures/sunset.png', import.meta.url).pathname;

let step = 'start';
function check(ok, message) {
  if (!ok) throw new Error(message);
}

/** Opens a page of its own (its own cookies), failing the run on any dialog (an alert = XSS). */
async function person(browser, viewport) {
  const page = await newPage(browser, { viewport });
  page.on('dialog', (dialog) => {
    page.problems.push(`dialog opened: ${dialog.type()} ${dialog.message()}`);
    dialog.dismiss().catch(() => {});
  });
  return page;
}

/** Runs `action` and returns the response of the navigation it causes. */
async function navigation(page, action) {
  const [response] = await Promise.all([page.waitForNavigation(), action()]);
  return response;
}

async function signUp(page, who) {
  step = `${who.username} signs up`;
  await page.goto(root);
  check((await page.locator('h1').innerText()) === 'Log in', 'the start page is not the login page');
  await navigation(page, () => page.getByRole('link', { name: 'Sign up' }).first().click());
  await page.getByLabel('First name').fill(who.first);
  await page.getByLabel('Last name').fill(who.last);
  await page.getByLabel('Username').fill(who.username);
  await page.getByLabel('Password').fill(who.password);
  const response = await navigation(page, () => page.getByRole('button', { name: 'Sign up' }).click());
  check(response.ok(), `sign-up answered ${response.status()}`);
  check((await page.locator('h1').innerText()) === 'Home', 'sign-up did not land on the home page');
  check(await page.locator('p.empty').isVisible(), 'a new home timeline has no empty state');
  expectNoProblems(page, step);
}

async function main() {
  const browser = await launchBrowser();
  try {
    const a = await person(browser, { width: 1280, height: 900 });
    const b = await person(browser, { width: 390, height: 844 }); // a phone
    await signUp(a, alice);
    await signUp(b, bob);

    step = 'a wrong password shows its error';
    const stranger = await person(browser);
    await stranger.goto(url('/login'));
    await stranger.getByLabel('Username').fill(alice.username);
    await stranger.getByLabel('Password').fill('wrong password');
    const refused = await navigation(stranger, () => stranger.getByRole('button', { name: 'Log in' }).click());
    check(refused.status() === 401, `a wrong password answered ${refused.status()}, not 401`);
    const alert = await stranger.getByRole('alert').innerText();
    check(/password/i.test(alert), `the login error says "${alert}"`);
    check((await stranger.context().cookies()).length === 0, 'a failed login set a cookie');
    stranger.problems.length = 0; // the 401 was the point

    step = 'unknown pages are a 404';
    const missing = await stranger.goto(url('/no/such/page'));
    check(missing.status() === 404, `an unknown page answered ${missing.status()}`);
    check((await stranger.locator('h1').innerText()) === 'Page not found', 'no 404 page');
    stranger.problems.length = 0;
    const nobody = await stranger.goto(url(`/profile/nobody_${run}`));
    check(nobody.status() === 404, `an unknown user's profile answered ${nobody.status()}`);
    await stranger.close();

    step = 'bob follows alice by username';
    await navigation(b, () => b.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Contacts' }).click());
    await b.getByLabel('Username to follow').fill(alice.username);
    await navigation(b, () => b.getByRole('button', { name: 'Follow', exact: true }).click());
    const following = b.locator('section', { has: b.getByRole('heading', { name: 'You follow' }) });
    check(await following.getByText(`@${alice.username}`).isVisible(), 'alice is not in the list of whom bob follows');
    expectNoProblems(b, step);

    step = 'alice posts a mention, a URL and an image';
    await a.goto(root);
    await a.getByLabel("What's happening?").fill(text);
    await a.getByLabel('Image or video (optional)').setInputFiles(image);
    const posted = await navigation(a, () => a.getByRole('button', { name: 'Post' }).click());
    check(posted.ok(), `composing answered ${posted.status()}`);
    check(a.url().includes(`/profile/${alice.username}`), `after posting the page is ${a.url()}`);
    check(await a.getByRole('status').isVisible(), 'no notice that the post was published');
    await checkPost(a, 'on alice\'s profile');
    expectNoProblems(a, step);

    step = "the post is on bob's home timeline";
    await b.goto(root);
    await checkPost(b, "on bob's home timeline");
    if (shots) await b.screenshot({ path: path.join(shots, 'home-timeline.png'), fullPage: true });
    expectNoProblems(b, step);

    step = 'bob opens the mention link';
    await navigation(b, () => b.locator('article.post a.mention').first().click());
    check(b.url().endsWith(`/profile/${bob.username}`), `the mention led to ${b.url()}`);
    check((await b.locator('p.handle').first().innerText()) === `@${bob.username}`, 'the mention did not open its profile');

    step = "bob opens alice's profile from the post's author";
    await b.goBack();
    await navigation(b, () => b.locator('article.post a.author').first().click());
    check((await b.locator('h1').innerText()) === `${alice.first} ${alice.last}`, "alice's profile has not her name");
    await checkPost(b, "on alice's profile, seen by bob");
    check(await b.getByText('1 follower').isVisible(), 'alice has not 1 follower');
    if (shots) {
      await a.goto(url(`/profile/${alice.username}`));
      await a.screenshot({ path: path.join(shots, 'profile.png'), fullPage: true });
    }

    step = "alice's followers list links to bob";
    await navigation(b, () => b.getByRole('link', { name: '1 follower' }).click());
    check(await b.getByRole('link', { name: new RegExp(`@${bob.username}`) }).isVisible(), 'bob is not among her followers');
    await b.goBack();

    step = 'bob unfollows alice from her profile';
    await navigation(b, () => b.getByRole('button', { name: `Unfollow @${alice.username}` }).click());
    check(await b.getByRole('button', { name: `Follow @${alice.username}` }).isVisible(), 'no Follow button after unfollowing');
    check(await b.getByText('0 followers').isVisible(), 'alice still has a follower');
    expectNoProblems(b, step);

    step = 'bob logs out';
    await navigation(b, () => b.getByRole('button', { name: 'Log out' }).click());
    check((await b.locator('h1').innerText()) === 'Log in', 'logging out did not show the login page');
    check((await b.context().cookies()).every((c) => c.name !== 'login_token'), 'the login cookie is still there');
    await b.goto(url('/contacts'));
    check((await b.locator('h1').innerText()) === 'Log in', 'contacts open without a login');
    expectNoProblems(b, step);
    expectNoProblems(a, 'the end');
    console.log(`scenario passed at ${root}`);
  } finally {
    await browser.close();
  }
}

/** Alice's post as `page` shows it: text as text, links where they belong, the image loaded. */
async function checkPost(page, where) {
  const post = page.locator('article.post', { hasText: 'Hello' }).first();
  check(await post.isVisible(), `the post is not ${where}`);
  const shown = await post.locator('.post-text').innerText();
  check(shown.includes(xss), `the XSS attempt is not shown as text ${where}: ${shown}`);
  check(shown.includes('مرحبا بالعالم 🚀'), `the Arabic text and emoji are not shown ${where}`);
  check((await post.locator('.post-text img, .post-text script').count()) === 0, `the post's text made elements ${where}`);
  const mention = post.locator('a.mention');
  check((await mention.getAttribute('href')).endsWith(`/profile/${bob.username}`), `the mention does not link to bob ${where}`);
  const url = post.locator('a.url');
  check((await url.getAttribute('href')) === link, `the URL does not link to ${link} ${where}`);
  check((await url.getAttribute('rel')).includes('noopener'), 'the URL link lacks rel=noopener');
  const picture = post.locator('.post-media img');
  await picture.scrollIntoViewIfNeeded();
  // Waits for it: a cold function can take a while to answer.
  const width = await picture.evaluate((img) => (img.complete && img.naturalWidth > 0
    ? img.naturalWidth
    : new Promise((resolve) => {
      img.addEventListener('load', () => resolve(img.naturalWidth));
      img.addEventListener('error', () => resolve(0));
    })));
  check(width === 480, `the image did not load ${where} (width ${width}): ${page.problems.join('; ')}`);
  check(/just now|seconds? ago|minutes? ago/.test(await post.locator('time').innerText()), 'no relative time');
}

main().catch((err) => {
  console.error(`scenario failed at step "${step}": ${err.stack || err}`);
  process.exit(1);
});

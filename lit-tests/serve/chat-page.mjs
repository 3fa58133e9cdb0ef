// The chat page at / in headless Chromium (Debian's, driven by
// puppeteer-core): type a message, send it, and see the reply stream into
// the page (the assistant's bubble changes more than once, then ends).
import puppeteer from "puppeteer-core";
import assert from "node:assert/strict";

const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
});
try {
  const page = await browser.newPage();
  page.setDefaultTimeout(120000);
  await page.goto(process.env.TERN_URL + "/");
  assert.equal(await page.title(), "Tern chat");
  await page.waitForFunction(
    () => document.getElementById("model").textContent !== "model");
  const model = await page.$eval("#model", (e) => e.textContent);
  console.log(`ok page loaded, model ${model}`);
  // Count the updates of the reply bubble as they happen.
  await page.evaluate(() => {
    window.updates = 0;
    new MutationObserver(() => ++window.updates).observe(
      document.getElementById("log"),
      { childList: true, subtree: true, characterData: true });
  });
  await page.$eval("#maxTokens", (e) => { e.value = "40"; });
  await page.type("#input", "Who made the heaven and the earth?");
  await page.click("#send");
  await page.waitForSelector(".assistant[data-done='true']");
  const reply = await page.$eval(".assistant", (e) => e.textContent);
  const updates = await page.evaluate(() => window.updates);
  assert.ok(reply.length > 0, "empty reply");
  assert.ok(updates > 3, `the reply arrived in ${updates} updates`);
  const user = await page.$eval(".user", (e) => e.textContent);
  assert.equal(user, "Who made the heaven and the earth?");
  console.log(`ok streamed reply in ${updates} updates: ${JSON.stringify(reply.slice(0, 40))}`);
} finally {
  await browser.close();
}

// Drives `serve` with the official openai client: chat and text
// completions, streamed and not, models, an auth failure and a prompt
// longer than the context. Prints one "ok ..." line per check; any failed
// check throws (exit status 1).
import OpenAI from "openai";
import assert from "node:assert/strict";

const baseURL = process.env.TERN_URL + "/v1";
const client = new OpenAI({ baseURL, apiKey: "secret-key", maxRetries: 0 });
const messages = [
  { role: "system", content: "Answer in the words of the King James Bible." },
  { role: "user", content: "Who made the heaven and the earth?" },
];
const greedy = { temperature: 0, max_tokens: 24 };

const models = await client.models.list();
const model = models.data[0].id;
assert.ok(model.length > 0);
console.log(`ok models: ${model}`);

const chat = await client.chat.completions.create({ model, messages, ...greedy });
const reply = chat.choices[0].message.content;
assert.equal(chat.object, "chat.completion");
assert.equal(chat.choices[0].message.role, "assistant");
assert.ok(reply.length > 0);
assert.ok(["stop", "length"].includes(chat.choices[0].finish_reason));
assert.equal(chat.usage.total_tokens,
             chat.usage.prompt_tokens + chat.usage.completion_tokens);
console.log(`ok chat: ${chat.usage.completion_tokens} tokens, ${chat.choices[0].finish_reason}`);

// Streamed: the same greedy reply, delta by delta, then usage.
const stream = await client.chat.completions.create({
  model, messages, ...greedy, stream: true,
  stream_options: { include_usage: true } });
let streamed = "", chunks = 0, finish = null, usage = null;
for await (const chunk of stream) {
  if (chunk.usage) usage = chunk.usage;
  if (!chunk.choices.length) continue;
  streamed += chunk.choices[0].delta.content ?? "";
  if (chunk.choices[0].finish_reason) finish = chunk.choices[0].finish_reason;
  ++chunks;
}
assert.equal(streamed, reply);
assert.equal(finish, chat.choices[0].finish_reason);
assert.deepEqual(usage, chat.usage);
assert.ok(chunks > 2, `only ${chunks} chunks`);
console.log(`ok chat stream: ${chunks} chunks, same text and usage`);

const prompt = "In the beginning God created";
const text = await client.completions.create({ model, prompt, ...greedy });
assert.equal(text.object, "text_completion");
assert.ok(text.choices[0].text.length > 0);
let textStreamed = "";
for await (const chunk of await client.completions.create({
  model, prompt, ...greedy, stream: true }))
  textStreamed += chunk.choices[0]?.text ?? "";
assert.equal(textStreamed, text.choices[0].text);
console.log(`ok completions: streamed and not agree (${text.usage.completion_tokens} tokens)`);

// A stop string ends the text before it.
const words = text.choices[0].text.trim().split(" ");
const stop = " " + words[Math.min(2, words.length - 1)];
const stopped = await client.completions.create({ model, prompt, ...greedy, stop });
assert.equal(stopped.choices[0].finish_reason, "stop");
assert.ok(text.choices[0].text.startsWith(stopped.choices[0].text));
assert.ok(!stopped.choices[0].text.includes(stop));
console.log("ok stop string");

// Same seed, same sample.
const sampled = async () => (await client.completions.create({
  model, prompt, max_tokens: 16, temperature: 1.0, seed: 1234 })).choices[0].text;
assert.equal(await sampled(), await sampled());
console.log("ok seed");

const wrong = new OpenAI({ baseURL, apiKey: "wrong-key", maxRetries: 0 });
await assert.rejects(wrong.chat.completions.create({ model, messages }), (e) => {
  assert.ok(e instanceof OpenAI.AuthenticationError, String(e));
  assert.equal(e.status, 401);
  assert.equal(e.code, "invalid_api_key");
  return true;
});
console.log("ok auth: 401");

const long = "And it came to pass ".repeat(400);
await assert.rejects(client.completions.create({ model, prompt: long }), (e) => {
  assert.ok(e instanceof OpenAI.BadRequestError, String(e));
  assert.equal(e.status, 400);
  assert.equal(e.code, "context_length_exceeded");
  assert.match(e.message, /the prompt has \d+ tokens; this server's context holds \d+/);
  return true;
});
console.log("ok too long: 400");

// A client that leaves mid-stream frees its slot: the server counts the
// request as cancelled and no slot stays busy. The server notices a client
// that left at its next writes to it, so a request that reaches the end of
// the context before then ends as finished instead (the small model is
// fast, the machine may be loaded): each try must end exactly once, either
// way, and the client tries again until one ends as cancelled.
const metrics = async () =>
  await (await fetch(process.env.TERN_URL + "/metrics")).text();
const metric = (text, name) =>
  Number(new RegExp(`^${name} (\\S+)$`, "m").exec(text)[1]);
const ends = (text) => [metric(text, "tern_requests_cancelled_total"),
                        metric(text, "tern_requests_finished_total")];
let cancelledOnce = false;
for (let attempt = 0; attempt < 5 && !cancelledOnce; ++attempt) {
  const [cancelled0, finished0] = ends(await metrics());
  const leaving = await client.completions.create({
    model, prompt, max_tokens: 100000, temperature: 0, stream: true });
  for await (const chunk of leaving) {
    if (chunk.choices[0]?.text) break; // leaves the loop: the stream aborts
  }
  let [cancelled, finished] = ends(await metrics());
  for (let i = 0; i < 600 && cancelled + finished === cancelled0 + finished0; ++i) {
    await new Promise((r) => setTimeout(r, 50));
    [cancelled, finished] = ends(await metrics());
  }
  assert.equal(cancelled + finished, cancelled0 + finished0 + 1);
  cancelledOnce = cancelled === cancelled0 + 1;
}
assert.ok(cancelledOnce, "no try of 5 was counted as cancelled");
for (let i = 0; i < 600 && metric(await metrics(), "tern_slots_busy") !== 0; ++i)
  await new Promise((r) => setTimeout(r, 50));
assert.equal(metric(await metrics(), "tern_slots_busy"), 0);
console.log("ok disconnect frees the slot");

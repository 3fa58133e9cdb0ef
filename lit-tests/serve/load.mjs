// A bounded loopback load test: STREAMS concurrent streaming clients x
// TOKENS greedy tokens, for ROUNDS rounds or until LIMIT_S seconds have
// passed (then it stops after the round in flight). Every stream must
// complete with exactly TOKENS tokens and the text the same request gives
// when run alone; the server's resident memory (TERN_SERVER_PID) must not
// grow from the second round on.
import OpenAI from "openai";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

const STREAMS = Number(process.env.STREAMS ?? 32);
const TOKENS = Number(process.env.TOKENS ?? 64);
const ROUNDS = Number(process.env.ROUNDS ?? 4);
const LIMIT_S = Number(process.env.LIMIT_S ?? 240);
const client = new OpenAI({ baseURL: process.env.TERN_URL + "/v1",
                            apiKey: "none", maxRetries: 0, timeout: 300000 });
const books = ["Genesis", "Exodus", "Psalms", "Proverbs", "Isaiah", "Matthew",
               "John", "Romans"];
const prompt = (i) => `And ${books[i % books.length]} said unto ${i},`;
const request = (i) => ({ model: "m", prompt: prompt(i), max_tokens: TOKENS,
                          temperature: 0 });

function rssKiB() {
  const status = readFileSync(`/proc/${process.env.TERN_SERVER_PID}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+)/.exec(status)[1]);
}

async function streamOne(i) {
  const stream = await client.completions.create({
    ...request(i), stream: true, stream_options: { include_usage: true } });
  let text = "", finish = null, usage = null;
  for await (const chunk of stream) {
    if (chunk.usage) usage = chunk.usage;
    if (chunk.choices.length) {
      text += chunk.choices[0].text;
      finish = chunk.choices[0].finish_reason ?? finish;
    }
  }
  return { text, finish, usage };
}

// The same requests one at a time.
const alone = [];
for (let i = 0; i < STREAMS; ++i) {
  const r = await client.completions.create(request(i));
  alone.push(r.choices[0].text);
}

const start = Date.now();
const rss = [];
let rounds = 0;
while (rounds < ROUNDS && (Date.now() - start) / 1000 < LIMIT_S) {
  const results = await Promise.all(
    Array.from({ length: STREAMS }, (_, i) => streamOne(i)));
  results.forEach((r, i) => {
    assert.equal(r.finish, "length", `stream ${i}: finish ${r.finish}`);
    assert.equal(r.usage.completion_tokens, TOKENS, `stream ${i}: tokens`);
    assert.equal(r.text, alone[i], `stream ${i}: text differs from alone`);
  });
  rss.push(rssKiB());
  ++rounds;
}
const seconds = (Date.now() - start) / 1000;
console.log(`ok ${rounds} rounds of ${STREAMS} streams x ${TOKENS} tokens, ` +
            "every stream complete and equal to its request alone");
console.log(`server RSS after each round (KiB): ${rss.join(" ")}`);
assert.ok(rounds >= 2, `only ${rounds} round(s) in ${LIMIT_S} s`);
// Flat from the second round on (the first allocates the slots' buffers
// and the HTTP threads): within 4 MiB.
const grown = Math.max(...rss.slice(1)) - rss[1];
assert.ok(grown <= 4096, `RSS grew by ${grown} KiB after round 2`);
console.log(`ok memory flat (${grown} KiB after round 2), ${seconds.toFixed(1)} s`);

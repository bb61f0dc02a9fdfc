// A client process for the exactness test: fires N concurrent guest chats with one browser id at
// the given servers (round robin) and prints how many were allowed (200) and refused (429).
const [n, browserId, ...urls] = process.argv.slice(2);
const count = Number(n);
const results = await Promise.all(
  Array.from({ length: count }, async (_, i) => {
    const res = await fetch(`${urls[i % urls.length]}/v1/openai/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-browser-id": browserId as string },
      body: JSON.stringify({ messages: [{ role: "user", content: `hi ${i}` }] }),
    });
    await res.arrayBuffer();
    return res.status;
  }),
);
process.stdout.write(
  `${JSON.stringify({ allowed: results.filter((s) => s === 200).length, refused: results.filter((s) => s === 429).length, other: results.filter((s) => s !== 200 && s !== 429) })}\n`,
);

// node --test reporter: one line per failing test with its error, and a final "N passed, M failed" line.
export default async function* summary(source) {
  let passed = 0, failed = 0;
  for await (const event of source) {
    const d = event.data;
    if (event.type === "test:pass" && d.details?.type !== "suite") { passed++; yield `ok   ${d.name}\n`; }
    if (event.type === "test:fail" && d.details?.type !== "suite") {
      failed++;
      const err = d.details?.error;
      yield `FAIL ${d.name}\n     ${String(err?.cause?.message ?? err?.message ?? err).split("\n").join("\n     ")}\n`;
    }
  }
  yield `${passed} passed, ${failed} failed\n`;
}

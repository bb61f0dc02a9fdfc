/**
 * A YAML "billion laughs": ten levels of ten aliases each, 10^10 values once expanded, in 700 bytes.
 * `key` holds the last level, so a reader that looks at it has expanded everything.
 */
export function yamlAliasBomb(key = "model"): string {
  const lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"];
  for (let i = 1; i < 10; i++)
    lines.push(
      `a${i}: &a${i} [${Array(10)
        .fill(`*a${i - 1}`)
        .join(", ")}]`,
    );
  lines.push(`${key}: *a9`);
  return `${lines.join("\n")}\n`;
}

// npm run docs:settings: writes the README's settings table from src/config/settings-table.ts.
import { readFileSync, writeFileSync } from "node:fs";
import { withSettingsTable } from "../src/config/settings-readme.js";

const readme = readFileSync("README.md", "utf8");
const updated = withSettingsTable(readme);
if (updated === readme) console.log("README.md's settings table is up to date");
else {
  writeFileSync("README.md", updated);
  console.log("README.md's settings table rewritten from src/config/settings-table.ts");
}

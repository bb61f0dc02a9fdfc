// Worker entry used only when the server runs from its TypeScript sources (tests, `npm run dev`):
// Node 20 workers cannot load .ts, so this registers tsx and then calls the named function of the
// real worker module. The built server (dist/) loads its .js worker modules directly.
import { register } from "tsx/esm/api";

register();

export default async function run({ module, name, args }) {
  const loaded = await import(module);
  return loaded[name](args);
}

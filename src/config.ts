// The server's configuration, read once at start from the environment. The parts live in
// config/: the settings table (settings-table.ts: every variable with its kind, default, range and
// doc), the readers of each kind (parse.ts), loadConfig (load.ts), vlmrun.yaml's request defaults
// (request-defaults.ts) and the shapes they return (types.ts). This module is what the rest imports.
export { defaultWebDir, loadConfig } from "./config/load.js";
export { loadDefaults } from "./config/request-defaults.js";
export { providerEnvStem, SETTINGS, type Setting, type SettingName } from "./config/settings-table.js";
export * from "./config/types.js";

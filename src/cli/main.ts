import { parseArgs } from "node:util";
import {
  ConfigError,
  IN_MEMORY,
  loadConfig,
  type StoreConfig,
  sharedAcrossProcesses,
  usesRedis,
} from "../config.js";
import { type ApiKeyRecord, ApiKeys } from "../identity/api-keys.js";
import { PLANS, type Plan } from "../identity/plans.js";
import { createStore } from "../store/create-store.js";
import type { SqliteStore } from "../store/sqlite-store.js";
import { StoreOpenError } from "../store/store.js";

const USAGE = `usage: orion keys create --user <id> [--plan starter|pro|enterprise] [--rpm <n>]
       orion keys list
       orion keys revoke <key-id>
       orion worker
       orion backup <file>
       orion --help

keys: manages API keys in the store the server uses (REDIS_URL or REDIS_CLUSTER_NODES).
worker: runs heavy tools for servers started with ORION_TOOL_QUEUE=redis on the same Redis
        (ORION_WORKER_TOOLSETS, ORION_WORKER_CONCURRENCY choose what and how much it takes).
backup: copies the embedded store (ORION_DATA_DIR) to <file>, consistent while servers run.`;

function fail(message: string, code = 2): never {
  process.stderr.write(`orion: ${message}\n`);
  process.exit(code);
}

function configOrExit(): ReturnType<typeof loadConfig> {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) fail(`configuration error: ${error.message}`);
    throw error;
  }
}

/** The store the server uses (Redis, or the data directory's file); a store that cannot open is exit 2. */
function openStoreOrExit(config: StoreConfig) {
  try {
    return createStore(config);
  } catch (error) {
    if (error instanceof StoreOpenError) fail(`store error: ${error.message}`);
    throw error;
  }
}

/** A consistent copy of the data directory's store, taken while servers keep serving. */
async function backup(config: StoreConfig, file: string) {
  if (usesRedis(config) || config.dataDir === IN_MEMORY) {
    fail("orion backup copies the embedded store in ORION_DATA_DIR; back Redis up with its own tools");
  }
  const store = openStoreOrExit(config) as SqliteStore;
  try {
    await store.backup(file);
    process.stdout.write(`${JSON.stringify({ backup: file, from: store.file })}\n`);
  } finally {
    await store.close();
  }
}

/** A key record as printed: the API's snake_case field names (`created_at`, `requests_per_minute`). */
function keyJson(record: ApiKeyRecord, key?: string): string {
  return JSON.stringify({
    id: record.id,
    user: record.user,
    plan: record.plan,
    ...(record.requestsPerMinute !== undefined ? { requests_per_minute: record.requestsPerMinute } : {}),
    created_at: record.createdAt,
    source: record.source,
    ...(key !== undefined ? { key } : {}),
  });
}

async function main(argv: string[]) {
  if (argv.some((arg) => arg === "--help" || arg === "-h") || argv[0] === "help") {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const [group, command, ...rest] = argv;
  if (group === "worker" && command === undefined) {
    const config = configOrExit();
    if (!usesRedis(config.store))
      fail("orion worker takes jobs from Redis: set REDIS_URL or REDIS_CLUSTER_NODES (the servers' own)");
    const { runToolWorker } = await import("../tool-queue/worker-main.js"); // keeps `orion keys` light
    await runToolWorker(config);
    return;
  }
  if (group === "backup" && command !== undefined && rest.length === 0) {
    await backup(configOrExit().store, command);
    return;
  }
  if (group !== "keys" || !command) fail(USAGE);
  const { values, positionals } = parseArgs({
    args: rest,
    options: { user: { type: "string" }, plan: { type: "string" }, rpm: { type: "string" } },
    allowPositionals: true,
  });
  const config = configOrExit();
  if (!sharedAcrossProcesses(config.store)) {
    fail(
      `key management needs a store the server shares: ORION_DATA_DIR=${IN_MEMORY} keeps keys in one process (use ORION_API_KEYS, or a data directory, or REDIS_URL)`,
    );
  }
  const store = openStoreOrExit({
    ...config.store,
    commandTimeoutMs: Math.max(config.store.commandTimeoutMs, 2_000),
  });
  try {
    await store.ready(5_000);
    const keys = new ApiKeys(store, config.identity.apiKeys);
    switch (command) {
      case "create": {
        if (!values.user) fail("keys create needs --user <id>");
        const plan = (values.plan ?? "starter") as Plan;
        if (!(PLANS as readonly string[]).includes(plan)) fail(`--plan must be one of ${PLANS.join(", ")}`);
        const rpm = values.rpm === undefined ? undefined : Number(values.rpm);
        if (rpm !== undefined && !(Number.isInteger(rpm) && rpm > 0))
          fail("--rpm must be a positive integer");
        const { key, record } = await keys.create(values.user, plan, rpm);
        process.stdout.write(`${keyJson(record, key)}\n`);
        process.stderr.write("Store the key now: only its hash is kept.\n");
        break;
      }
      case "list":
        for (const record of await keys.list()) process.stdout.write(`${keyJson(record)}\n`);
        break;
      case "revoke": {
        const id = positionals[0];
        if (!id) fail("keys revoke needs a key id (see: orion keys list)");
        if (!(await keys.revoke(id))) fail(`no stored key with id ${id}`, 1);
        process.stdout.write(`${JSON.stringify({ id, revoked: true })}\n`);
        break;
      }
      default:
        fail(USAGE);
    }
  } finally {
    await store.close();
  }
}

main(process.argv.slice(2)).catch((error: unknown) => fail((error as Error).message, 1));

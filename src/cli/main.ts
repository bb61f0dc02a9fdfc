import { parseArgs } from "node:util";
import { ConfigError, loadConfig, PLANS, type Plan, usesRedis } from "../config.js";
import { type ApiKeyRecord, ApiKeys } from "../identity/api-keys.js";
import { createStore } from "../store/create-store.js";

const USAGE = `usage: orion keys create --user <id> [--plan starter|pro|enterprise] [--rpm <n>]
       orion keys list
       orion keys revoke <key-id>
       orion worker
       orion --help

keys: manages API keys in the store the server uses (REDIS_URL or REDIS_CLUSTER_NODES).
worker: runs heavy tools for servers started with ORION_TOOL_QUEUE=redis on the same Redis
        (ORION_WORKER_TOOLSETS, ORION_WORKER_CONCURRENCY choose what and how much it takes).`;

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
  if (group !== "keys" || !command) fail(USAGE);
  const { values, positionals } = parseArgs({
    args: rest,
    options: { user: { type: "string" }, plan: { type: "string" }, rpm: { type: "string" } },
    allowPositionals: true,
  });
  const config = configOrExit();
  if (!usesRedis(config.store)) {
    fail(
      "key management needs the shared store: set REDIS_URL or REDIS_CLUSTER_NODES (with the embedded store, use ORION_API_KEYS)",
    );
  }
  const store = createStore({
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

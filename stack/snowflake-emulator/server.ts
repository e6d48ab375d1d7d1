// The Snowflake emulator's front: an HTTP server that the official drivers
// reach through their `accessUrl` option. It starts fakesnow's server (the SQL
// engine, Snowflake SQL on DuckDB) as a child process, forwards the REST calls
// to it, and turns its Arrow results into the JSON result format that the Node
// driver reads. It also answers the calls fakesnow does not know (token
// renewal, telemetry, result re-fetch by query id).
//
//   node server.ts --port 58080 --engine-port 58081 --python <venv>/bin/python \
//     [--db-path DIR] [--user U --password P] [--host 127.0.0.1] \
//     [--stage-s3-endpoint http://127.0.0.1:59000 --stage-s3-bucket B --stage-s3-region R]
//
// With --stage-s3-endpoint, internal stages keep their files in that S3 store
// and PUT/GET answer with its location, as Snowflake's do (stages.py).
//
// The child dies with the front: on SIGTERM/SIGINT the front stops it first,
// and the child also asks the kernel for SIGTERM if the front disappears.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomInt } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { parseArgs } from 'node:util';
import zlib from 'node:zlib';
import {
  bareMessage,
  CODES,
  completeLogin,
  failure,
  tokenOf,
  toJsonResult,
  type SessionState,
} from './protocol.ts';

const { values: args } = parseArgs({
  options: {
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string' },
    'engine-port': { type: 'string' },
    python: { type: 'string', default: 'python3' },
    'db-path': { type: 'string' },
    user: { type: 'string' },
    password: { type: 'string' },
    'stage-s3-endpoint': { type: 'string' },
    'stage-s3-bucket': { type: 'string' },
    'stage-s3-region': { type: 'string' },
  },
});

const HOST = args.host ?? '127.0.0.1';
const PORT = Number(args.port);
const ENGINE_PORT = Number(args['engine-port']);
if (!Number.isInteger(PORT) || !Number.isInteger(ENGINE_PORT)) {
  process.stderr.write(
    'usage: node server.ts --port N --engine-port N --python PATH [--db-path DIR]\n',
  );
  process.exit(2);
}
const DEBUG = Boolean(process.env.LP_SNOWFLAKE_EMULATOR_DEBUG);
const TOKEN_VALIDITY_SECONDS = 4 * 3600;
// results kept for re-fetching by query id (GET /queries/<id>/result); large
// ones are not kept, so memory stays bounded
const RESULT_CACHE_SIZE = 64;
const RESULT_CACHE_MAX_ROWS = 10_000;

function log(message: string) {
  process.stdout.write(
    `[snowflake-emulator ${new Date().toISOString()}] ${message}\n`,
  );
}

// ---------------------------------------------------------------- the engine

let engine: ChildProcess | undefined;
let stopping = false;

function startEngine(): ChildProcess {
  const launcher = path.join(import.meta.dirname, 'fakesnow_server.py');
  const engineArgs = [
    launcher,
    '--host',
    '127.0.0.1',
    '--port',
    String(ENGINE_PORT),
  ];
  if (args['db-path']) engineArgs.push('--db-path', args['db-path']);
  for (const option of [
    'stage-s3-endpoint',
    'stage-s3-bucket',
    'stage-s3-region',
  ] as const) {
    const value = args[option];
    if (value) engineArgs.push(`--${option}`, value);
  }
  engineArgs.push('--front-url', `http://${HOST}:${PORT}`);
  const child = spawn(args.python ?? 'python3', engineArgs, {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, PYTHONUNBUFFERED: '1' },
  });
  child.on('exit', (code, signal) => {
    if (stopping) return;
    log(
      `fakesnow exited (code ${code}, signal ${signal}); stopping the front too`,
    );
    process.exit(1);
  });
  log(
    `started fakesnow (pid ${child.pid}) on 127.0.0.1:${ENGINE_PORT}${
      args['db-path'] ? ` with data in ${args['db-path']}` : ' (in memory)'
    }`,
  );
  return child;
}

function engineListening(): Promise<boolean> {
  return new Promise(resolve => {
    const socket = net.connect({ host: '127.0.0.1', port: ENGINE_PORT });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

async function waitForEngine(timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await engineListening()) return;
    await new Promise(r => setTimeout(r, 250));
  }
  throw new Error(
    `fakesnow did not listen on 127.0.0.1:${ENGINE_PORT} within ${
      timeoutMs / 1000
    } s`,
  );
}

function shutdown(reason: string, exitCode = 0) {
  if (stopping) return;
  stopping = true;
  log(`${reason}: stopping`);
  server.close();
  const child = engine;
  if (!child || child.exitCode !== null || child.signalCode !== null)
    process.exit(exitCode);
  const force = setTimeout(() => child.kill('SIGKILL'), 10_000);
  child.once('exit', () => {
    clearTimeout(force);
    process.exit(exitCode);
  });
  child.kill('SIGTERM');
}

// ---------------------------------------------------------------- HTTP plumbing

type Reply = { status: number; body: unknown };

/** The body as sent (an uploaded file stays compressed as the client compressed it). */
async function rawBody(req: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function readBody(req: http.IncomingMessage): Promise<Buffer> {
  const raw = await rawBody(req);
  const encoding = String(req.headers['content-encoding'] ?? '').toLowerCase();
  if (encoding === 'gzip') return zlib.gunzipSync(raw);
  if (encoding === 'deflate') return zlib.inflateSync(raw);
  return raw;
}

function parseJson(buffer: Buffer): any {
  if (buffer.length === 0) return {};
  return JSON.parse(buffer.toString('utf8'));
}

/** Sends a request to fakesnow; the body is forwarded uncompressed. */
async function toEngine(
  method: string,
  url: string,
  headers: http.IncomingHttpHeaders,
  body?: unknown,
): Promise<Reply> {
  const forwarded: Record<string, string> = { Accept: 'application/json' };
  if (headers.authorization) forwarded.Authorization = headers.authorization;
  const init: RequestInit = { method, headers: forwarded };
  if (body !== undefined && method !== 'GET') {
    forwarded['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const response = await fetch(`http://127.0.0.1:${ENGINE_PORT}${url}`, init);
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : {};
  } catch {
    // an unhandled exception comes back as a plain-text traceback; its last line says what failed
    const lines = text.trim().split('\n');
    parsed = {
      success: false,
      code: CODES.engineFailure,
      message: `fakesnow: ${lines[lines.length - 1]}`,
      data: null,
    };
  }
  return { status: response.status, body: parsed };
}

function send(res: http.ServerResponse, reply: Reply) {
  const payload = JSON.stringify(reply.body);
  res.writeHead(reply.status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(payload),
  });
  res.end(payload);
}

/**
 * A failed engine call as the driver expects it: HTTP 200 with success=false,
 * so the driver raises its normal error at once instead of retrying a 5xx.
 * 401 (unknown session) stays a 401, which the driver maps to "log in again".
 */
function normaliseFailure(reply: Reply): Reply {
  if (reply.status === 200 || reply.status === 401) return reply;
  const body = (reply.body ?? {}) as { code?: string; message?: string };
  return {
    status: 200,
    body: failure(
      body.code ?? CODES.engineFailure,
      `${body.message ?? `HTTP ${reply.status} from fakesnow`}`,
    ),
  };
}

// ---------------------------------------------------------------- state

const sessions = new Map<string, SessionState>();
const results = new Map<string, unknown>(); // queryId -> JSON result, most recent last

function remember(queryId: unknown, body: unknown) {
  if (typeof queryId !== 'string') return;
  results.delete(queryId);
  results.set(queryId, body);
  while (results.size > RESULT_CACHE_SIZE)
    results.delete(results.keys().next().value as string);
}

// ---------------------------------------------------------------- handlers

async function login(req: http.IncomingMessage, url: URL): Promise<Reply> {
  const body = parseJson(await readBody(req));
  const data = body.data ?? {};
  if (args.user !== undefined && args.password !== undefined) {
    const userOk =
      String(data.LOGIN_NAME ?? '').toUpperCase() === args.user.toUpperCase();
    if (!userOk || data.PASSWORD !== args.password) {
      log(`login refused for user '${data.LOGIN_NAME ?? ''}'`);
      return {
        status: 200,
        body: failure(
          CODES.badCredentials,
          'Incorrect username or password was specified.',
          '08004',
        ),
      };
    }
  }
  const clientParameters: Record<string, unknown> = {
    ...(data.SESSION_PARAMETERS ?? {}),
  };
  // the engine's storage location is the emulator's business, not the client's
  delete clientParameters.FAKESNOW_DB_PATH;
  data.SESSION_PARAMETERS = clientParameters;
  const reply = await toEngine('POST', url.pathname + url.search, req.headers, {
    ...body,
    data,
  });
  if (reply.status !== 200) return normaliseFailure(reply);
  const answer = reply.body as any;
  if (!answer.success || !answer.data?.token) return reply;
  const session: SessionState = {
    clientParameters,
    warehouse: url.searchParams.get('warehouse')?.toUpperCase() ?? undefined,
    role: url.searchParams.get('roleName')?.toUpperCase() ?? undefined,
  };
  sessions.set(answer.data.token, session);
  // the stack's readiness probe logs in every few seconds; keep those quiet
  if (DEBUG || data.CLIENT_APP_ID !== 'lp-stack-ready') {
    const database = url.searchParams.get('databaseName') ?? '-';
    const schema = url.searchParams.get('schemaName') ?? '-';
    log(
      `login user=${
        data.LOGIN_NAME ?? ''
      } database=${database} schema=${schema} (${sessions.size} sessions)`,
    );
  }
  return {
    status: 200,
    body: completeLogin(
      answer,
      session,
      randomInt(1, 2 ** 47),
      TOKEN_VALIDITY_SECONDS,
    ),
  };
}

async function query(req: http.IncomingMessage, url: URL): Promise<Reply> {
  const body = parseJson(await readBody(req));
  const token = tokenOf(req.headers.authorization);
  if (body.bindStage) {
    return {
      status: 200,
      body: failure(
        CODES.engineFailure,
        'Snowflake emulator: binding through a stage (bindStage) is not supported',
        '0A000',
      ),
    };
  }
  if (DEBUG) log(`query: ${String(body.sqlText).slice(0, 300)}`);
  const started = Date.now();
  const reply = normaliseFailure(
    await toEngine('POST', url.pathname + url.search, req.headers, body),
  );
  const answer = reply.body as any;
  if (reply.status !== 200 || !answer?.success) {
    if (answer && typeof answer === 'object') {
      answer.message = bareMessage(answer.message);
      // fakesnow's "Unhandled exception" carries no cause; the traceback is in the log
      if (answer.code === '261000')
        answer.message = `${answer.message} (fakesnow traceback in: stack/lp-stack logs snowflake)`;
    }
    if (DEBUG || reply.status !== 401)
      log(
        `query failed: ${answer?.code} ${String(answer?.message).slice(
          0,
          300,
        )}`,
      );
    return reply;
  }
  // PUT/GET answers carry stage metadata rather than a result; pass them through
  if (!Array.isArray(answer.data?.rowtype)) return reply;
  let json: any;
  try {
    json = toJsonResult(answer, token ? sessions.get(token) : undefined);
  } catch (error) {
    log(
      `could not transcode the result of ${String(body.sqlText).slice(
        0,
        200,
      )}: ${(error as Error).stack}`,
    );
    return {
      status: 200,
      body: failure(
        CODES.engineFailure,
        `Snowflake emulator: ${(error as Error).message}`,
      ),
    };
  }
  if (json.data.rowset.length <= RESULT_CACHE_MAX_ROWS)
    remember(json.data.queryId, json);
  if (DEBUG)
    log(`query ok: ${json.data.returned} rows in ${Date.now() - started} ms`);
  return { status: 200, body: json };
}

async function sessionCall(
  req: http.IncomingMessage,
  url: URL,
): Promise<Reply> {
  await readBody(req);
  const reply = await toEngine(
    'POST',
    url.pathname + url.search,
    req.headers,
    {},
  );
  const token = tokenOf(req.headers.authorization);
  if (url.searchParams.get('delete') && token && reply.status === 200)
    sessions.delete(token);
  return reply;
}

/** Token renewal: fakesnow's tokens never expire, so the same token is handed back. */
async function renewToken(req: http.IncomingMessage): Promise<Reply> {
  const body = parseJson(await readBody(req));
  const token = body.oldSessionToken ?? tokenOf(req.headers.authorization);
  if (!token || !sessions.has(token)) {
    return {
      status: 200,
      body: failure(
        CODES.sessionGone,
        'User must login again to access the service.',
        '08001',
      ),
    };
  }
  return {
    status: 200,
    body: {
      success: true,
      data: {
        sessionToken: token,
        validityInSecondsST: TOKEN_VALIDITY_SECONDS,
        masterToken: token,
        validityInSecondsMT: TOKEN_VALIDITY_SECONDS,
      },
    },
  };
}

function cachedResult(queryId: string): Reply {
  const result = results.get(queryId);
  if (result) return { status: 200, body: result };
  return {
    status: 200,
    body: failure(
      CODES.resultNotFound,
      `Snowflake emulator: no result kept for query ${queryId}`,
      '02000',
    ),
  };
}

async function handle(req: http.IncomingMessage, res: http.ServerResponse) {
  const url = new URL(req.url ?? '/', 'http://emulator');
  const route = `${req.method} ${url.pathname}`;
  let reply: Reply;
  try {
    if (route === 'POST /session/v1/login-request')
      reply = await login(req, url);
    else if (route === 'POST /queries/v1/query-request')
      reply = await query(req, url);
    else if (route === 'POST /session' || route === 'POST /session/heartbeat')
      reply = await sessionCall(req, url);
    else if (route === 'POST /session/token-request')
      reply = await renewToken(req);
    else if (
      req.method === 'POST' &&
      /^\/queries\/[^/]+\/abort-request$/.test(url.pathname)
    ) {
      // statements run synchronously in the engine; there is nothing to cancel
      await readBody(req);
      reply = { status: 200, body: { success: true, data: null } };
    } else if (
      req.method === 'GET' &&
      /^\/queries\/[^/]+\/result$/.test(url.pathname)
    ) {
      reply = cachedResult(decodeURIComponent(url.pathname.split('/')[2]));
    } else if (
      req.method === 'GET' &&
      url.pathname.startsWith('/monitoring/queries/')
    ) {
      const queryId = decodeURIComponent(url.pathname.split('/')[3] ?? '');
      reply = results.has(queryId)
        ? {
            status: 200,
            body: {
              success: true,
              data: { queries: [{ id: queryId, status: 'SUCCESS' }] },
            },
          }
        : await toEngine('GET', url.pathname + url.search, req.headers);
    } else if (req.method === 'PUT' && url.pathname.startsWith('/fs_bucket/')) {
      // a file uploaded through the emulator (snowflake-connector-python's PUT): raw bytes
      const response = await fetch(
        `http://127.0.0.1:${ENGINE_PORT}${url.pathname}`,
        { method: 'PUT', body: new Uint8Array(await rawBody(req)) },
      );
      res.writeHead(response.status);
      res.end();
      return;
    } else if (route === 'POST /telemetry/send') {
      await readBody(req);
      reply = { status: 200, body: { success: true, data: null } };
    } else {
      const body =
        req.method === 'GET' ? undefined : parseJson(await readBody(req));
      reply = await toEngine(
        req.method ?? 'GET',
        url.pathname + url.search,
        req.headers,
        body,
      );
    }
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause;
    const unreachable =
      cause?.code === 'ECONNREFUSED' || cause?.code === 'ECONNRESET';
    log(`${route} failed: ${(error as Error).stack}`);
    reply = {
      status: 200,
      body: failure(
        unreachable ? CODES.engineUnreachable : CODES.engineFailure,
        unreachable
          ? `Snowflake emulator: the SQL engine (fakesnow) is not reachable on 127.0.0.1:${ENGINE_PORT}`
          : `Snowflake emulator: ${(error as Error).message}`,
      ),
    };
  }
  send(res, reply);
}

// ---------------------------------------------------------------- main

const server = http.createServer((req, res) => {
  handle(req, res).catch(error => {
    log(`unexpected: ${(error as Error).stack}`);
    if (!res.headersSent)
      send(res, {
        status: 500,
        body: failure(CODES.engineFailure, String(error)),
      });
  });
});
server.keepAliveTimeout = 65_000;
server.on('error', error => {
  log(`cannot serve on ${HOST}:${PORT}: ${error.message}`);
  shutdown('listen failure', 1);
});

process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
process.on('SIGHUP', () => shutdown('SIGHUP'));

engine = startEngine();
try {
  await waitForEngine(90_000);
} catch (error) {
  log((error as Error).message);
  shutdown('startup failure', 1);
}
if (!stopping) {
  server.listen(PORT, HOST, () =>
    log(
      `listening on http://${HOST}:${PORT} (accessUrl), engine on 127.0.0.1:${ENGINE_PORT}`,
    ),
  );
}

// The parts of Snowflake's REST protocol (as spoken by the official drivers)
// that the emulator's front adds on top of fakesnow's server. Pure functions
// over JSON bodies, shared by the server and its unit tests.
import { arrowToRowset, type RowtypeColumn } from './transcode.ts';

export type Parameter = { name: string; value: unknown };

export type SessionState = {
  /** Session parameters sent at login, echoed to the driver with every result. */
  clientParameters: Record<string, unknown>;
  warehouse?: string;
  role?: string;
};

/** Error codes used by the front itself (fakesnow's own errors are passed through). */
export const CODES = {
  badCredentials: '390100',
  sessionGone: '390104',
  engineUnreachable: '000605',
  engineFailure: '000603',
  resultNotFound: '000709',
};

/**
 * Session parameters a real account returns at login and with results. The
 * driver reads the formats when it turns values into strings (e.g.
 * BINARY_OUTPUT_FORMAT is required to read BINARY columns at all).
 */
export const DEFAULT_PARAMETERS: Parameter[] = [
  { name: 'TIMEZONE', value: 'Etc/UTC' },
  { name: 'DATE_OUTPUT_FORMAT', value: 'YYYY-MM-DD' },
  { name: 'TIME_OUTPUT_FORMAT', value: 'HH24:MI:SS' },
  {
    name: 'TIMESTAMP_OUTPUT_FORMAT',
    value: 'YYYY-MM-DD HH24:MI:SS.FF3 TZHTZM',
  },
  { name: 'TIMESTAMP_NTZ_OUTPUT_FORMAT', value: 'YYYY-MM-DD HH24:MI:SS.FF3' },
  { name: 'TIMESTAMP_LTZ_OUTPUT_FORMAT', value: '' },
  { name: 'TIMESTAMP_TZ_OUTPUT_FORMAT', value: '' },
  { name: 'BINARY_OUTPUT_FORMAT', value: 'HEX' },
  { name: 'CLIENT_RESULT_CHUNK_SIZE', value: 160 },
  // The JDBC driver unboxes AUTOCOMMIT at connect (a NullPointerException without it).
  { name: 'AUTOCOMMIT', value: true },
  { name: 'CLIENT_TELEMETRY_ENABLED', value: false },
  { name: 'JS_TREAT_INTEGER_AS_BIGINT', value: false },
];

/** Session parameters the driver may set at login that change how it reads results. */
const ECHOED_CLIENT_PARAMETERS = ['JS_TREAT_INTEGER_AS_BIGINT', 'QUERY_TAG'];

/**
 * Bind arrays larger than CLIENT_STAGE_ARRAY_BINDING_THRESHOLD are uploaded to
 * a stage with PUT first, which the emulator does not support; fakesnow says 0
 * (meaning "always stage" to the Node driver), so the front raises it.
 */
export const STAGE_BINDING_THRESHOLD = 2_147_483_647;

/** Merges parameter lists; later lists win. */
export function mergeParameters(
  ...lists: (Parameter[] | undefined)[]
): Parameter[] {
  const byName = new Map<string, unknown>();
  for (const list of lists)
    for (const p of list ?? []) byName.set(p.name, p.value);
  return [...byName.entries()].map(([name, value]) => ({ name, value }));
}

export function sessionParameters(
  session: SessionState | undefined,
): Parameter[] {
  return Object.entries(session?.clientParameters ?? {})
    .filter(([name]) => ECHOED_CLIENT_PARAMETERS.includes(name))
    .map(([name, value]) => ({ name, value }));
}

/** A failure in the shape the drivers turn into their normal error (code, sqlState, message). */
export function failure(
  code: string,
  message: string,
  sqlState = 'XX000',
  extra: Record<string, unknown> = {},
) {
  return {
    data: { errorCode: code, sqlState, ...extra },
    code,
    message,
    success: false,
    headers: null,
  };
}

/**
 * fakesnow's messages start with the "002003 (42S02): " prefix that the
 * Python connector adds when it formats an error; Snowflake's REST answers
 * carry the bare message (the code and SQL state are separate fields).
 */
export function bareMessage(message: unknown): unknown {
  return typeof message === 'string'
    ? message.replace(/^\d{6} \([0-9A-Z]{5}\): /, '')
    : message;
}

/** The token inside an `Authorization: Snowflake Token="..."` header. */
export function tokenOf(authorization: string | undefined): string | undefined {
  const m = /Token="([^"]*)"/.exec(authorization ?? '');
  return m ? m[1] : undefined;
}

/** Completes fakesnow's login answer with what the driver expects from a real account. */
export function completeLogin(
  body: any,
  session: SessionState,
  sessionId: number,
  validitySeconds: number,
): any {
  const data = body.data ?? {};
  const parameters = mergeParameters(
    DEFAULT_PARAMETERS,
    data.parameters,
    sessionParameters(session),
    [
      {
        name: 'CLIENT_STAGE_ARRAY_BINDING_THRESHOLD',
        value: STAGE_BINDING_THRESHOLD,
      },
    ],
  );
  return {
    ...body,
    data: {
      ...data,
      masterToken: data.masterToken ?? data.token,
      validityInSeconds: validitySeconds,
      masterValidityInSeconds: validitySeconds,
      sessionId,
      parameters,
      sessionInfo: {
        ...data.sessionInfo,
        warehouseName: session.warehouse ?? null,
        roleName: session.role ?? 'SYSADMIN',
      },
    },
  };
}

/**
 * Rewrites a successful fakesnow query answer into the JSON result format:
 * Arrow rowsets become JSON rowsets, and the fields the Node driver reads
 * but fakesnow leaves out (returned, version, formats) are filled in.
 */
export function toJsonResult(
  body: any,
  session: SessionState | undefined,
): any {
  const data = body.data ?? {};
  const rowtype: RowtypeColumn[] = Array.isArray(data.rowtype)
    ? data.rowtype
    : [];
  let rowset = data.rowset;
  if (
    data.queryResultFormat === 'arrow' ||
    (!Array.isArray(rowset) && 'rowsetBase64' in data)
  ) {
    rowset = arrowToRowset(data.rowsetBase64, rowtype);
  }
  if (!Array.isArray(rowset)) rowset = [];
  const { rowsetBase64: _dropped, ...rest } = data;
  return {
    ...body,
    data: {
      ...rest,
      parameters: mergeParameters(
        DEFAULT_PARAMETERS,
        data.parameters,
        sessionParameters(session),
      ),
      rowtype,
      rowset,
      queryResultFormat: 'json',
      total: typeof data.total === 'number' ? data.total : rowset.length,
      returned: rowset.length,
      version: 1,
      finalWarehouseName: session?.warehouse ?? null,
      finalRoleName: session?.role ?? 'SYSADMIN',
    },
  };
}

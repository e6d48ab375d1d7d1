import { InputError } from '@backstage/errors';
import type { z } from 'zod';
import { clickhouseDatabase, datasetTableName } from '../naming/pipelineNames';
import { formatMiB } from '../sizing/quantity';
import { parseMemoryMiB } from '../sizing/quantity';
import { MIN_HEADROOM_MIB, memoryPlanFor } from '../sizing/sizing';
import { isExactNumericType, isKeyableType, isTimestampType } from './columns';
import {
  LambdaPipeline,
  pipelineSpecSchema,
  throughputSchema,
  resourcesSchema,
} from './schema';

/** One problem with a spec: where (`spec.kafka.partitions`) and what to do. */
export interface SpecProblem {
  path: string;
  message: string;
}

export type SpecValidationResult =
  | { valid: true; spec: LambdaPipeline; problems: [] }
  | { valid: false; problems: SpecProblem[] };

/** `['spec','source','postgres','tables',0,'table']` -> `spec.source.postgres.tables[0].table` */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  return path.reduce<string>((out, key) => {
    if (typeof key === 'number') {
      return `${out}[${key}]`;
    }
    return out ? `${out}.${String(key)}` : String(key);
  }, '');
}

const TYPE_WORDS: Record<string, string> = {
  object: 'a mapping',
  array: 'a list',
  string: 'text',
  number: 'a number',
  boolean: 'true or false',
};

const describeType = (type: string) => TYPE_WORDS[type] ?? type;

function describeValue(value: unknown): string {
  if (Array.isArray(value)) {
    return 'a list';
  }
  return value === null ? 'null' : describeType(typeof value);
}

function fromZod(issues: z.core.$ZodIssue[]): SpecProblem[] {
  return issues.map(issue => {
    if (issue.code === 'unrecognized_keys') {
      return {
        path: formatPath(issue.path),
        message: `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys
          .map(key => `'${key}'`)
          .join(
            ', ',
          )}; check the spelling (credentials never go in the spec, only Secret names under spec.secrets)`,
      };
    }
    if (
      issue.code === 'invalid_type' &&
      issue.message.startsWith('Invalid input')
    ) {
      // Zod's default wording; say it the way the rest of our messages do.
      return {
        path: formatPath(issue.path),
        message:
          issue.input === undefined
            ? 'is required'
            : `must be ${describeType(issue.expected)}, got ${describeValue(
                issue.input,
              )}`,
      };
    }
    return { path: formatPath(issue.path), message: issue.message };
  });
}

/** The memory budget must hold every container's limit at the busiest time. */
function memoryProblems(
  targetEventsPerSecond: number,
  memoryBudget: string,
): SpecProblem[] {
  const plan = memoryPlanFor(
    targetEventsPerSecond,
    parseMemoryMiB(memoryBudget),
  );
  if (plan.fits) {
    return [];
  }
  const largest = [...plan.components]
    .sort((a, b) => b.limitMiB * b.replicas - a.limitMiB * a.replicas)
    .slice(0, 4)
    .map(
      component =>
        `${component.title} ${formatMiB(
          component.limitMiB * component.replicas,
        )}`,
    )
    .join(', ');
  return [
    {
      path: 'spec.resources.memoryBudget',
      message: `${memoryBudget} is below the ${formatMiB(
        plan.peakLimitMiB + MIN_HEADROOM_MIB,
      )} this pipeline needs (${formatMiB(
        plan.steadyLimitMiB,
      )} steady + ${formatMiB(
        Math.max(plan.burstLimitMiB, plan.deployLimitMiB),
      )} ${
        plan.burstLimitMiB >= plan.deployLimitMiB
          ? 'while a batch load runs'
          : 'while it is being deployed'
      } + ${formatMiB(MIN_HEADROOM_MIB)} kept free for the node), ${formatMiB(
        MIN_HEADROOM_MIB - plan.headroomMiB,
      )} over; the largest parts are ${largest}. Give Docker Desktop more memory and raise the budget, or lower the throughput target`,
    },
  ];
}

/**
 * When the spec has shape problems elsewhere, still check the memory budget
 * if its own inputs are valid, so a user learns about both at once.
 */
function memoryProblemsOfInvalidSpec(input: unknown): SpecProblem[] {
  const spec = (
    input as
      | { spec?: { throughput?: unknown; resources?: unknown } }
      | undefined
  )?.spec;
  const throughput = throughputSchema.safeParse(spec?.throughput);
  const resources = resourcesSchema.safeParse(spec?.resources);
  if (!throughput.success || !resources.success) {
    return [];
  }
  return memoryProblems(
    throughput.data.targetEventsPerSecond,
    resources.data.memoryBudget,
  );
}

/** Rules that span several fields; run only on a spec whose shape is valid. */
function crossFieldProblems(spec: LambdaPipeline): SpecProblem[] {
  const problems: SpecProblem[] = [];
  const tables = spec.spec.source.postgres.tables;
  const seenSource = new Map<string, number>();
  const seenDataset = new Map<string, number>();

  tables.forEach((table, index) => {
    const at = `spec.source.postgres.tables[${index}]`;
    const columns = new Map(table.columns.map(column => [column.name, column]));

    const qualified = `${table.schema}.${table.table}`;
    const dataset = datasetTableName(table);
    if (seenSource.has(qualified)) {
      problems.push({
        path: `${at}.table`,
        message: `${qualified} is listed twice (also at tables[${seenSource.get(
          qualified,
        )}])`,
      });
    } else if (seenDataset.has(dataset)) {
      problems.push({
        path: `${at}.table`,
        message: `${qualified} and tables[${seenDataset.get(
          dataset,
        )}] both map to the table name '${dataset}' in ClickHouse, Iceberg and Snowflake; rename one of them`,
      });
    }
    seenSource.set(qualified, index);
    seenDataset.set(dataset, index);

    const names = new Set<string>();
    table.columns.forEach((column, columnIndex) => {
      if (names.has(column.name)) {
        problems.push({
          path: `${at}.columns[${columnIndex}].name`,
          message: `column '${column.name}' is declared twice`,
        });
      }
      names.add(column.name);
    });

    table.primaryKey.forEach((key, keyIndex) => {
      const column = columns.get(key);
      if (!column) {
        problems.push({
          path: `${at}.primaryKey[${keyIndex}]`,
          message: `primary key column '${key}' is not among the declared columns of ${qualified}`,
        });
      } else if (!isKeyableType(column.type)) {
        problems.push({
          path: `${at}.primaryKey[${keyIndex}]`,
          message: `'${key}' is ${column.type}, which cannot be a key carried through every layer; use an integer, numeric, text, uuid, date or timestamp column`,
        });
      }
    });
    if (new Set(table.primaryKey).size !== table.primaryKey.length) {
      problems.push({
        path: `${at}.primaryKey`,
        message: 'lists a column more than once',
      });
    }

    const eventTime = columns.get(table.eventTimeColumn);
    if (!eventTime) {
      problems.push({
        path: `${at}.eventTimeColumn`,
        message: `'${table.eventTimeColumn}' is not among the declared columns of ${qualified}`,
      });
    } else if (!isTimestampType(eventTime.type)) {
      problems.push({
        path: `${at}.eventTimeColumn`,
        message: `'${table.eventTimeColumn}' is ${eventTime.type}; the event-time column must be a timestamp or timestamptz`,
      });
    }

    table.measures.forEach((measure, measureIndex) => {
      const column = columns.get(measure);
      if (!column) {
        problems.push({
          path: `${at}.measures[${measureIndex}]`,
          message: `measure column '${measure}' is not among the declared columns of ${qualified}`,
        });
      } else if (!isExactNumericType(column.type)) {
        problems.push({
          path: `${at}.measures[${measureIndex}]`,
          message: `'${measure}' is ${column.type}; measures must be exact numbers (smallint, integer, bigint or numeric(p,s)) so the speed and batch layers can compare exact sums`,
        });
      }
    });
  });

  if (
    clickhouseDatabase(spec) === 'system' ||
    clickhouseDatabase(spec) === 'default'
  ) {
    problems.push({
      path: 'spec.speed.clickhouse.database',
      message: `'${clickhouseDatabase(
        spec,
      )}' is reserved in ClickHouse; choose a database for this pipeline`,
    });
  }

  problems.push(
    ...memoryProblems(
      spec.spec.throughput.targetEventsPerSecond,
      spec.spec.resources.memoryBudget,
    ),
  );
  return problems;
}

/** Validates a pipeline spec and fills in defaults; never throws on bad input. */
export function validatePipelineSpec(input: unknown): SpecValidationResult {
  const parsed = pipelineSpecSchema.safeParse(input, { reportInput: true });
  if (!parsed.success) {
    return {
      valid: false,
      problems: [
        ...fromZod(parsed.error.issues),
        ...memoryProblemsOfInvalidSpec(input),
      ],
    };
  }
  const problems = crossFieldProblems(parsed.data);
  if (problems.length > 0) {
    return { valid: false, problems };
  }
  return { valid: true, spec: parsed.data, problems: [] };
}

/** One line per problem: `spec.kafka.partitions: must be at least 1`. */
export function formatSpecProblems(problems: SpecProblem[]): string {
  return problems
    .map(problem => `${problem.path || '(spec)'}: ${problem.message}`)
    .join('\n');
}

/**
 * Validates a spec and returns it with defaults filled in, or throws an
 * `InputError` (HTTP 400 in Backstage routers) listing every problem.
 */
export function parsePipelineSpec(input: unknown): LambdaPipeline {
  const result = validatePipelineSpec(input);
  if (!result.valid) {
    throw new InputError(
      `Invalid pipeline spec:\n${formatSpecProblems(result.problems)}`,
    );
  }
  return result.spec;
}

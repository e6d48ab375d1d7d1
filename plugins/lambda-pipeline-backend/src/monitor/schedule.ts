/**
 * Minutes between runs of an Airflow schedule, for "a load is overdue"
 * judgements: presets (`@hourly`...), `timedelta`-like ISO durations are not
 * accepted by the spec, and for cron expressions the step of the minute and
 * hour fields (`*\/15 * * * *` = 15, `5 * * * *` = 60, `0 3 * * *` = 1440).
 */
export function scheduleIntervalMinutes(schedule: string): number {
  const presets: Record<string, number> = {
    '@once': 1440,
    '@continuous': 1,
    '@hourly': 60,
    '@daily': 1440,
    '@midnight': 1440,
    '@weekly': 10080,
    '@monthly': 43200,
    '@quarterly': 129600,
    '@yearly': 525600,
    '@annually': 525600,
  };
  if (presets[schedule] !== undefined) return presets[schedule];
  const fields = schedule.trim().split(/\s+/);
  if (fields.length !== 5) return 1440;
  const [minute, hour, dayOfMonth, , dayOfWeek] = fields;
  const step = (field: string) => {
    const match = /^(?:\*|\d+(?:-\d+)?)\/(\d+)$/.exec(field);
    return match ? Number(match[1]) : undefined;
  };
  const list = (field: string) =>
    /^\d+(,\d+)+$/.test(field) ? field.split(',').length : undefined;
  if (minute === '*') return 1;
  if (step(minute)) return step(minute)!;
  if (hour === '*') return list(minute) ? Math.floor(60 / list(minute)!) : 60;
  if (step(hour)) return step(hour)! * 60;
  if (list(hour)) return Math.floor(1440 / list(hour)!);
  if (dayOfMonth === '*' && dayOfWeek === '*') return 1440;
  return dayOfWeek !== '*' ? 10080 : 43200;
}

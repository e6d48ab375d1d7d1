/** Whole numbers with thousands separators: 20,000. */
export const formatCount = (n: number) => Math.round(n).toLocaleString('en-US');

/** A rate for people: 12,345 events/s, 3.5 events/s. */
export function formatRate(eventsPerSecond: number): string {
  const value =
    eventsPerSecond >= 100
      ? formatCount(eventsPerSecond)
      : String(Math.round(eventsPerSecond * 10) / 10);
  return `${value} events/s`;
}

/** A duration for people: 4 s, 12 min, 3 h 5 min, 2 d 4 h. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 90) return `${s} s`;
  const minutes = Math.round(s / 60);
  if (minutes < 90) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) {
    const rest = minutes % 60;
    return rest ? `${hours} h ${rest} min` : `${hours} h`;
  }
  const days = Math.floor(hours / 24);
  const rest = hours % 24;
  return rest ? `${days} d ${rest} h` : `${days} d`;
}

/** How long ago a time was: "12 s ago"; "in the future" for clock skew. */
export function formatAgo(iso: string, now: number = Date.now()): string {
  const seconds = (now - new Date(iso).getTime()) / 1000;
  return seconds < -5 ? 'in the future' : `${formatDuration(seconds)} ago`;
}

/** Clock time in the reader's time zone: 10:15 (with the date when not today). */
export function formatTime(iso: string, now: Date = new Date()): string {
  const d = new Date(iso);
  const time = d.toLocaleTimeString('en-GB', {
    hour: '2-digit',
    minute: '2-digit',
  });
  return d.toDateString() === now.toDateString()
    ? time
    : `${d.toLocaleDateString('en-GB', {
        day: 'numeric',
        month: 'short',
      })} ${time}`;
}

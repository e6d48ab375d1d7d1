import { renderInTestApp } from '@backstage/frontend-test-utils';
import { screen } from '@testing-library/react';
import { formatAgo, formatDuration, formatRate, formatTime } from './format';
import { TimeSeriesChart } from './TimeSeriesChart';

describe('format', () => {
  it('writes rates and durations for people', () => {
    expect(formatRate(20000)).toBe('20,000 events/s');
    expect(formatRate(3.46)).toBe('3.5 events/s');
    expect(formatDuration(4.4)).toBe('4 s');
    expect(formatDuration(600)).toBe('10 min');
    expect(formatDuration(3 * 3600 + 5 * 60)).toBe('3 h 5 min');
    expect(formatDuration(50 * 3600)).toBe('2 d 2 h');
    expect(
      formatAgo('2026-12-02T09:00:00Z', Date.parse('2026-12-02T09:00:30Z')),
    ).toBe('30 s ago');
    expect(
      formatAgo('2026-12-02T09:10:00Z', Date.parse('2026-12-02T09:00:00Z')),
    ).toBe('in the future');
  });

  // Built from local times, so both cases hold in every time zone.
  const local = (day: number, hour: number, minute: number) =>
    new Date(2026, 11, day, hour, minute);

  it('writes a clock time alone when it is on the same local day', () => {
    expect(formatTime(local(2, 9, 5).toISOString(), local(2, 23, 59))).toBe(
      '09:05',
    );
    expect(formatTime(local(2, 0, 0).toISOString(), local(2, 12, 0))).toBe(
      '00:00',
    );
  });

  it('puts the date in front when the time is on another local day', () => {
    expect(formatTime(local(1, 23, 59).toISOString(), local(2, 0, 1))).toBe(
      '1 Dec 23:59',
    );
    expect(formatTime(local(3, 9, 5).toISOString(), local(2, 9, 5))).toBe(
      '3 Dec 09:05',
    );
    // The same day and month a year apart is another day.
    expect(
      formatTime(new Date(2025, 11, 2, 9, 5).toISOString(), local(2, 9, 5)),
    ).toBe('2 Dec 09:05');
  });
});

describe('TimeSeriesChart', () => {
  it('scales to the target, marks a single point, and describes itself', async () => {
    await renderInTestApp(
      <TimeSeriesChart
        title="Rates"
        formatValue={formatRate}
        target={{ value: 1000, label: 'target 1,000 events/s' }}
        series={[
          {
            id: 'a',
            label: 'A',
            points: [{ t: '2026-12-02T09:00:00Z', value: 400 }],
          },
          { id: 'b', label: 'B', points: [], emphasis: 'bottleneck' },
        ]}
      />,
    );
    const chart = screen.getByRole('img', { name: /^Rates/ });
    expect(chart).toHaveAccessibleName(
      'Rates A: 400 events/s now; B (bottleneck): no data now; target 1,000 events/s: 1,000 events/s',
    );
    expect(chart.querySelectorAll('circle')).toHaveLength(1);
    // The y axis reaches past the target: its top label is at least 1,000.
    const labels = [...chart.querySelectorAll('text')].map(t => t.textContent);
    expect(labels).toContain('1,000');
    expect(screen.getByText('B: no data — bottleneck')).toBeInTheDocument();
  });
});

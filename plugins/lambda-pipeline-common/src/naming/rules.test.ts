import {
  isDnsLabel,
  isEntityName,
  isKafkaTopicName,
  suggestDnsLabel,
  toEntityName,
  toKubernetesName,
  toLabelValue,
} from './rules';
import { shortHash } from './hash';

describe('naming rules', () => {
  it('checks DNS labels', () => {
    expect(isDnsLabel('orders-eu-1')).toBe(true);
    expect(isDnsLabel('Orders')).toBe(false);
    expect(isDnsLabel('orders_eu')).toBe(false);
    expect(isDnsLabel('-orders')).toBe(false);
    expect(isDnsLabel('orders-')).toBe(false);
    expect(isDnsLabel('1orders')).toBe(false);
    expect(isDnsLabel('a'.repeat(63))).toBe(true);
    expect(isDnsLabel('a'.repeat(64))).toBe(false);
    expect(isDnsLabel('a'.repeat(41), 40)).toBe(false);
  });

  it('suggests DNS-safe names', () => {
    expect(suggestDnsLabel('Orders_Pipeline v2')).toBe('orders-pipeline-v2');
    expect(suggestDnsLabel('9 Lives!')).toBe('lives');
    expect(suggestDnsLabel('___')).toBe('pipeline');
    expect(suggestDnsLabel('x'.repeat(50)).length).toBe(40);
  });

  it('checks Kafka topic names', () => {
    expect(isKafkaTopicName('orders.public.orders')).toBe(true);
    expect(isKafkaTopicName('__debezium-heartbeat.orders')).toBe(true);
    expect(isKafkaTopicName('orders/public')).toBe(false);
    expect(isKafkaTopicName('..')).toBe(false);
    expect(isKafkaTopicName('a'.repeat(250))).toBe(false);
  });

  it('keeps valid entity names as they are and rewrites the rest stably', () => {
    expect(toEntityName('orders-topic-orders.public.orders')).toBe(
      'orders-topic-orders.public.orders',
    );
    const rewritten = toEntityName('Orders Topic/__debezium-heartbeat.orders');
    expect(isEntityName(rewritten)).toBe(true);
    expect(rewritten).toMatch(
      /^orders-topic-debezium-heartbeat\.orders-[0-9a-z]{6}$/,
    );
    // Same input, same name: no flapping between catalog refreshes.
    expect(toEntityName('Orders Topic/__debezium-heartbeat.orders')).toBe(
      rewritten,
    );
  });

  it('never lets two different inputs collapse to one name', () => {
    expect(toEntityName('a_b')).toBe('a_b');
    expect(toEntityName('a b')).not.toBe(toEntityName('a-b'));
    expect(toKubernetesName('orders.public.order_items')).not.toBe(
      toKubernetesName('orders.public.order-items'),
    );
  });

  it('shortens long names with a hash suffix within 63 characters', () => {
    const long = `orders-iceberg-${'very_long_table_name_'.repeat(5)}`;
    const name = toEntityName(long);
    expect(name.length).toBeLessThanOrEqual(63);
    expect(isEntityName(name)).toBe(true);
    expect(name.endsWith(`-${shortHash(long)}`)).toBe(true);
  });

  it('derives Kubernetes names and label values', () => {
    expect(toKubernetesName('orders.public.orders')).toBe(
      'orders.public.orders',
    );
    expect(toKubernetesName('__debezium-heartbeat.orders')).toMatch(
      /^debezium-heartbeat\.orders-[0-9a-z]{6}$/,
    );
    expect(toKubernetesName('orders.public.order_items')).toMatch(
      /^orders\.public\.order-items-[0-9a-z]{6}$/,
    );
    expect(toLabelValue('group:default/data-platform')).toMatch(
      /^group-default-data-platform-[0-9a-z]{6}$/,
    );
    expect(toLabelValue('orders')).toBe('orders');
  });

  it('hashes stably', () => {
    expect(shortHash('orders')).toBe(shortHash('orders'));
    expect(shortHash('orders')).not.toBe(shortHash('orderz'));
    expect(shortHash('orders')).toMatch(/^[0-9a-z]{6}$/);
  });
});

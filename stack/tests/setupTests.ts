// Integration tests wait on real services (Kafka rebalances, Connect
// commits). Jest's testTimeout is a global option that per-project config
// cannot set when the whole repository runs, so it is set here.
jest.setTimeout(180_000);

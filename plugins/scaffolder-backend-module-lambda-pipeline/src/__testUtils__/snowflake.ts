export { snowflakeSession } from '@internal/backstage-plugin-lambda-pipeline-node/testUtils';

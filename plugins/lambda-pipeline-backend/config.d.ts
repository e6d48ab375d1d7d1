export interface Config {
  lambdaPipelines?: {
    monitoring?: {
      /** Seconds between samples of every pipeline's counters and health (default 30). */
      sampleIntervalSeconds?: number;
      /** Days of samples and consistency checks kept in the database (default 7). */
      retentionDays?: number;
      /**
       * Minutes between scheduled consistency checks; a GET of
       * `.../consistency` reuses a check younger than this (default 5).
       */
      consistencyIntervalMinutes?: number;
    };
  };
}

// A paced producer of Debezium change events for the speed-layer benchmark.
//
// The Node load generator (stack/loadgen) builds realistic events from the
// pipeline spec, but kafkajs spends most of a core at 13,000 events/s, and on
// two shared cores that starves the job being measured. This producer replays
// a pool of events the Node generator built (one per line: topic, key and
// value separated by tabs) with Kafka's own Java client, stamping each event
// as it is sent: the value's "@@LSN@@" becomes a new, increasing LSN and every
// "@@TS@@" the send time in epoch milliseconds, so freshness can be measured
// from the source timestamp exactly as with the Node generator.
//
// Run with the Java source launcher and kafka-clients on the class path:
//   java -cp 'kafka/libs/*' ReplayProducer.java --bootstrap HOST:PORT \
//     --pool FILE --rate EVENTS_PER_S --seconds S
// Prints one JSON line with what was sent; progress every 5 s on stderr.
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

public class ReplayProducer {
  /** Sends per second are split into this many ticks, as the Node generator does. */
  private static final int TICKS_PER_SECOND = 100;

  private static final String LSN = "@@LSN@@";
  private static final String TS = "@@TS@@";

  /** One pooled event: its value cut at the placeholders, so stamping is a concatenation. */
  private record Event(String topic, byte[] key, String[] parts, boolean[] isLsn) {
    byte[] value(long lsn, String ts) {
      StringBuilder out = new StringBuilder(256);
      for (int i = 0; i < parts.length; i++) {
        out.append(parts[i]);
        if (i < isLsn.length) out.append(isLsn[i] ? Long.toString(lsn) : ts);
      }
      return out.toString().getBytes(StandardCharsets.UTF_8);
    }
  }

  private static Event parse(String line, int lineNumber) {
    String[] fields = line.split("\t", 3);
    if (fields.length != 3 || fields[0].isEmpty())
      throw new IllegalArgumentException(
          "pool line " + lineNumber + ": expected topic<TAB>key<TAB>value");
    List<String> parts = new ArrayList<>();
    List<Boolean> kinds = new ArrayList<>();
    String value = fields[2];
    int from = 0;
    for (; ; ) {
      int lsn = value.indexOf(LSN, from);
      int ts = value.indexOf(TS, from);
      int next = lsn < 0 ? ts : ts < 0 ? lsn : Math.min(lsn, ts);
      if (next < 0) break;
      parts.add(value.substring(from, next));
      boolean isLsn = next == lsn;
      kinds.add(isLsn);
      from = next + (isLsn ? LSN : TS).length();
    }
    parts.add(value.substring(from));
    if (!kinds.contains(Boolean.TRUE) || !kinds.contains(Boolean.FALSE))
      throw new IllegalArgumentException(
          "pool line " + lineNumber + ": the value needs both " + LSN + " and " + TS);
    boolean[] isLsn = new boolean[kinds.size()];
    for (int i = 0; i < isLsn.length; i++) isLsn[i] = kinds.get(i);
    return new Event(
        fields[0],
        fields[1].getBytes(StandardCharsets.UTF_8),
        parts.toArray(new String[0]),
        isLsn);
  }

  private static Map<String, String> arguments(String[] args) {
    Map<String, String> out = new HashMap<>();
    for (int i = 0; i < args.length; i += 2) {
      if (!args[i].startsWith("--") || i + 1 >= args.length)
        throw new IllegalArgumentException("expected --name value pairs; got " + args[i]);
      out.put(args[i].substring(2), args[i + 1]);
    }
    for (String required : List.of("bootstrap", "pool", "rate", "seconds"))
      if (!out.containsKey(required))
        throw new IllegalArgumentException("--" + required + " is required");
    return out;
  }

  private static double positive(Map<String, String> args, String name) {
    double value;
    try {
      value = Double.parseDouble(args.get(name));
    } catch (NumberFormatException e) {
      value = Double.NaN;
    }
    if (!(value > 0))
      throw new IllegalArgumentException(
          "--" + name + " must be a number above 0; got " + args.get(name));
    return value;
  }

  public static void main(String[] argv) throws IOException, InterruptedException {
    Map<String, String> args;
    double rate;
    double seconds;
    List<Event> pool = new ArrayList<>();
    try {
      args = arguments(argv);
      rate = positive(args, "rate");
      seconds = positive(args, "seconds");
      int n = 0;
      for (String line : Files.readAllLines(Path.of(args.get("pool")), StandardCharsets.UTF_8))
        if (!line.isEmpty()) pool.add(parse(line, ++n));
      if (pool.isEmpty()) throw new IllegalArgumentException("the pool file has no events");
    } catch (IllegalArgumentException e) {
      System.err.println("ReplayProducer: " + e.getMessage());
      System.exit(2);
      return;
    }

    Properties props = new Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, args.get("bootstrap"));
    // As Kafka Connect's producers (Debezium): every in-sync replica acknowledges.
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    props.put(ProducerConfig.LINGER_MS_CONFIG, "5");
    props.put(ProducerConfig.BATCH_SIZE_CONFIG, "262144");
    props.put(ProducerConfig.CLIENT_ID_CONFIG, "lp-bench-replay");
    props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());

    AtomicLong acked = new AtomicLong();
    AtomicReference<Exception> failure = new AtomicReference<>();
    long lsn = System.currentTimeMillis() * 1000;
    long sent = 0;
    long totalTicks = Math.round(seconds * TICKS_PER_SECOND);
    long started = System.nanoTime();
    long lastReport = started;
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props)) {
      for (long tick = 0; tick < totalTicks && failure.get() == null; tick++) {
        long due = started + tick * 1_000_000_000L / TICKS_PER_SECOND;
        long wait = due - System.nanoTime();
        if (wait > 0) Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
        long count =
            (long) Math.floor((tick + 1) * rate / TICKS_PER_SECOND)
                - (long) Math.floor(tick * rate / TICKS_PER_SECOND);
        String ts = Long.toString(System.currentTimeMillis());
        for (long i = 0; i < count; i++) {
          Event event = pool.get((int) (sent % pool.size()));
          producer.send(
              new ProducerRecord<>(event.topic(), event.key(), event.value(lsn++, ts)),
              (metadata, error) -> {
                if (error != null) failure.compareAndSet(null, error);
                else acked.incrementAndGet();
              });
          sent++;
        }
        long now = System.nanoTime();
        if (now - lastReport >= 5_000_000_000L) {
          lastReport = now;
          System.err.printf(
              "replay: %d events sent, %d acknowledged, %.0f s%n",
              sent, acked.get(), (now - started) / 1e9);
        }
      }
      producer.flush();
    }
    double elapsed = (System.nanoTime() - started) / 1e9;
    if (failure.get() != null) {
      System.err.println("ReplayProducer: a send failed: " + failure.get());
      System.exit(1);
    }
    System.out.printf(
        "{\"targetRate\":%s,\"events\":%d,\"acknowledged\":%d,\"seconds\":%.2f,\"rate\":%.1f,\"pool\":%d}%n",
        args.get("rate"), sent, acked.get(), elapsed, acked.get() / elapsed, pool.size());
  }
}

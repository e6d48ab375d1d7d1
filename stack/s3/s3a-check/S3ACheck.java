import java.net.URI;
import java.util.Arrays;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Writes a 12 MiB object through Hadoop's S3A filesystem (multipart,
 * path-style access) as the Spark jobs do against the local stack's http
 * endpoint, reads it back, lists and renames it, and prints the final object
 * key for the caller to inspect with another client. No SSE headers: Spark
 * 3.5's S3A (AWS SDK v1) refuses SSE-KMS over http, so the bucket's default
 * encryption (SSE-S3 on the stack) applies.
 *
 * usage: java -cp '<pyspark>/jars/*:<connector jars>' S3ACheck.java ENDPOINT REGION BUCKET PREFIX
 */
public class S3ACheck {
  public static void main(String[] args) throws Exception {
    String endpoint = args[0], region = args[1], bucket = args[2], prefix = args[3];
    Configuration conf = new Configuration();
    conf.set("fs.s3a.endpoint", endpoint);
    conf.set("fs.s3a.endpoint.region", region);
    conf.set("fs.s3a.path.style.access", "true");
    conf.set("fs.s3a.connection.ssl.enabled", "false");
    conf.set("fs.s3a.access.key", "test");
    conf.set("fs.s3a.secret.key", "test");
    conf.set("fs.s3a.multipart.size", "5M");
    conf.set("fs.s3a.multipart.threshold", "5M");

    FileSystem fs = FileSystem.get(new URI("s3a://" + bucket + "/"), conf);
    Path written = new Path("s3a://" + bucket + "/" + prefix + "/written.bin");
    byte[] data = new byte[12 * 1024 * 1024];
    for (int i = 0; i < data.length; i++) {
      data[i] = (byte) (i * 31 + 7);
    }
    try (FSDataOutputStream out = fs.create(written)) {
      out.write(data);
    }
    byte[] read = new byte[data.length];
    try (FSDataInputStream in = fs.open(written)) {
      in.readFully(read);
    }
    if (!Arrays.equals(data, read)) {
      throw new IllegalStateException("S3A read back different bytes");
    }
    Path renamed = new Path(written.getParent(), "renamed.bin");
    if (!fs.rename(written, renamed)) {
      throw new IllegalStateException("S3A rename failed");
    }
    int listed = fs.listStatus(renamed.getParent()).length;
    long length = fs.getFileStatus(renamed).getLen();
    System.out.println("{\"key\":\"" + prefix + "/renamed.bin\",\"length\":" + length + ",\"listed\":" + listed + "}");
    fs.close();
  }
}

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * A foreign producer for interop tests: Apache Kafka's own Java client, from the jars the local
 * stack runs. Reads "base64(key) base64(value)" lines on stdin and produces them to a topic with a
 * compression type ("none", "gzip", "snappy", "lz4", "zstd"), as point-of-sale systems on the
 * Java client do. Usage: java -cp 'libs/*' LinesProducer.java brokers topic compression
 */
public class LinesProducer {
  public static void main(String[] args) throws Exception {
    Properties props = new Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
    props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, args[2]);
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.put(ProducerConfig.LINGER_MS_CONFIG, "50");
    props.put(ProducerConfig.BATCH_SIZE_CONFIG, "262144");
    props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    Base64.Decoder base64 = Base64.getDecoder();
    int sent = 0;
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props);
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
      for (String line = in.readLine(); line != null; line = in.readLine()) {
        if (line.isEmpty()) continue;
        String[] parts = line.split(" ", 2);
        producer.send(new ProducerRecord<>(args[1], base64.decode(parts[0]), base64.decode(parts[1])));
        sent += 1;
      }
      producer.flush();
    }
    System.out.println("sent " + sent);
  }
}

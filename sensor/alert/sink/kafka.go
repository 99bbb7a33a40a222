package sink

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/borderwatch/borderwatch/sensor/alert"
	"github.com/rs/zerolog"
	"github.com/twmb/franz-go/pkg/kgo"
)

// KafkaConfig configures a Kafka output: a franz-go producer with acks=all
// and idempotent writes, one record per alert, keyed so that the alerts of
// one flow land in one partition, in order.
type KafkaConfig struct {
	Common `yaml:",inline"`
	// Brokers are the seed brokers, host:port.
	Brokers []string `yaml:"brokers"`
	// Topic receives the alerts.
	Topic string `yaml:"topic"`
	// Key is "community_id" (default; the flow id when the alert has no
	// community id), "flow_id", or "none".
	Key string `yaml:"key"`
	// Linger is how long the producer waits to fill a batch (default 0:
	// batches form while a request is in flight).
	Linger time.Duration `yaml:"linger"`
	// BatchMaxBytes caps a record batch (franz-go's default, about 1 MB,
	// when 0).
	BatchMaxBytes int32 `yaml:"batch_max_bytes"`
	// DialTimeout bounds connects; WriteTimeout bounds the delivery of one
	// batch, after which the broker is treated as down (defaults 5s, 10s).
	DialTimeout  time.Duration `yaml:"dial_timeout"`
	WriteTimeout time.Duration `yaml:"write_timeout"`
	Spool        SpoolConfig   `yaml:"spool"`
}

// Validate checks the settings.
func (c *KafkaConfig) Validate() error {
	// A broker written with credentials (user:password@host) would be
	// quoted by every message below: refuse it without quoting it.
	for i, b := range c.Brokers {
		if strings.Contains(b, "@") {
			return fmt.Errorf("kafka output: broker %d: credentials in a broker address are not supported (and are not shown)", i+1)
		}
	}
	what := "kafka output " + oneLine(strings.Join(c.Brokers, ",")+"/"+c.Topic)
	if err := c.Common.validate(what); err != nil {
		return err
	}
	if len(c.Brokers) == 0 {
		return fmt.Errorf("%s: no brokers", what)
	}
	for _, b := range c.Brokers {
		if _, err := splitHostPortDefault(b, "9092"); err != nil || strings.ContainsAny(b, "/?") {
			return fmt.Errorf("%s: broker %q: want host:port", what, b)
		}
	}
	if c.Topic == "" {
		return fmt.Errorf("%s: topic is empty", what)
	}
	if len(c.Topic) > 249 || strings.Trim(c.Topic, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != "" || c.Topic == "." || c.Topic == ".." {
		return fmt.Errorf("%s: topic %q: Kafka topics are 1–249 of [a-zA-Z0-9._-]", what, c.Topic)
	}
	switch c.Key {
	case "", "community_id", "flow_id", "none":
	default:
		return fmt.Errorf("%s: key %q: want community_id, flow_id or none", what, c.Key)
	}
	if c.Linger < 0 || c.BatchMaxBytes < 0 || c.DialTimeout < 0 || c.WriteTimeout < 0 {
		return fmt.Errorf("%s: linger, batch_max_bytes and timeouts must not be negative", what)
	}
	return c.Spool.validate(what)
}

// Open validates c and starts the output. The producer connects lazily: a
// down cluster is not an error here.
func (c *KafkaConfig) Open(log zerolog.Logger) (*Output, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	brokers := make([]string, len(c.Brokers))
	for i, b := range c.Brokers {
		brokers[i], _ = splitHostPortDefault(b, "9092")
	}
	wt := cmp.Or(c.WriteTimeout, DefaultWriteTimeout)
	opts := []kgo.Opt{
		kgo.SeedBrokers(brokers...),
		kgo.DefaultProduceTopic(c.Topic),
		kgo.RequiredAcks(kgo.AllISRAcks()), // idempotence is franz-go's default with acks=all
		kgo.DialTimeout(cmp.Or(c.DialTimeout, DefaultDialTimeout)),
		kgo.RecordDeliveryTimeout(wt),
		kgo.ProducerLinger(c.Linger),
	}
	if c.BatchMaxBytes > 0 {
		opts = append(opts, kgo.ProducerBatchMaxBytes(c.BatchMaxBytes))
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("kafka output: %w", err)
	}
	key := c.Key
	if key == "" {
		key = "community_id"
	}
	b := &kafkaBackend{client: cl, key: key, timeout: wt}
	return newOutput("kafka", "kafka://"+strings.Join(brokers, ",")+"/"+c.Topic, &c.Common, b, c.Spool, log)
}

// parseKafkaURL parses kafka://host[:port][,host…]/topic?…; the broker
// list is split by hand, as net/url takes only one host.
func parseKafkaURL(s string) (Config, error) {
	rest := strings.TrimPrefix(s, "kafka://")
	hosts, rest, _ := strings.Cut(rest, "/")
	if h, q, ok := strings.Cut(hosts, "?"); ok {
		hosts, rest = h, "?"+q
	}
	if strings.Contains(hosts, "@") {
		return nil, fmt.Errorf("output %q: SASL is not supported", s)
	}
	u, err := url.Parse("kafka://h/" + rest)
	if err != nil {
		return nil, fmt.Errorf("output %q: %w", s, err)
	}
	c := &KafkaConfig{Topic: strings.Trim(u.Path, "/")}
	if hosts != "" {
		c.Brokers = strings.Split(hosts, ",")
	}
	p := params{out: s, q: u.Query()}
	p.common(&c.Common)
	p.spool(&c.Spool)
	p.strTo("key", &c.Key)
	p.durTo("linger", &c.Linger)
	var bmb int64
	p.int64To("batch_max_bytes", &bmb)
	c.BatchMaxBytes = int32(min(bmb, 1<<30))
	p.durTo("dial_timeout", &c.DialTimeout)
	p.durTo("write_timeout", &c.WriteTimeout)
	if err := p.done(); err != nil {
		return nil, err
	}
	return c, c.Validate()
}

// kafkaBackend entries are "KEY\tJSON"; neither a community id nor a flow
// id contains a tab.
type kafkaBackend struct {
	client  *kgo.Client
	key     string
	timeout time.Duration
}

func (b *kafkaBackend) frame(dst []byte, a *alert.Alert, rec []byte) []byte {
	switch {
	case b.key == "community_id" && a.CommunityID != "":
		dst = append(dst, a.CommunityID...)
	case b.key != "none" && a.FlowID != 0:
		dst = strconv.AppendUint(dst, a.FlowID, 10)
	}
	dst = append(dst, '\t')
	return append(dst, rec...)
}

func (b *kafkaBackend) connect(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, b.timeout)
	defer cancel()
	if err := b.client.Ping(ctx); err != nil {
		return fmt.Errorf("connecting to kafka: %w", err)
	}
	return nil
}

// write produces entries and waits for every ack, or for ctx (the write
// timeout, or the drain deadline after Close); the records before the first
// failed one count as delivered. franz-go does not give up a record in
// flight when ctx ends, so write stops waiting for it instead: such a
// record counts as not delivered and may still arrive (at least once).
// Records and values are fresh for each write for the same reason.
func (b *kafkaBackend) write(ctx context.Context, entries [][]byte) (int, error) {
	recs := make([]*kgo.Record, len(entries))
	for i, e := range entries {
		k, v, ok := bytes.Cut(e, []byte{'\t'})
		if !ok {
			k, v = nil, e
		}
		r := &kgo.Record{Value: bytes.Clone(v)}
		if len(k) > 0 {
			r.Key = bytes.Clone(k)
		}
		recs[i] = r
	}
	ctx, cancel := context.WithTimeout(ctx, b.timeout)
	defer cancel()
	errs := make([]error, len(recs))
	var left atomic.Int64
	left.Store(int64(len(recs)))
	all := make(chan struct{})
	for i, r := range recs {
		b.client.Produce(ctx, r, func(_ *kgo.Record, err error) {
			errs[i] = err
			if left.Add(-1) == 0 {
				close(all)
			}
		})
	}
	select {
	case <-all:
	case <-ctx.Done():
		return 0, fmt.Errorf("producing to kafka: %w", ctx.Err())
	}
	for i, err := range errs {
		if err != nil {
			return i, fmt.Errorf("producing to kafka: %w", err)
		}
	}
	return len(entries), nil
}

func (b *kafkaBackend) disconnect() {}

func (b *kafkaBackend) close(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, b.timeout)
	defer cancel()
	err := b.client.Flush(ctx)
	b.client.Close()
	if err != nil {
		// Records still in flight when a write gave up (they were counted
		// spooled or dropped then) end here.
		return fmt.Errorf("kafka output: flushing at close: %w", err)
	}
	return nil
}

package sink

import (
	"cmp"
	"context"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/borderwatch/borderwatch/sensor/alert"
	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"
)

// RedisConfig configures a Redis output, with the modes of Suricata's EVE
// redis output: each batch is one pipeline of commands.
type RedisConfig struct {
	Common `yaml:",inline"`
	// Address is host:port (default port 6379).
	Address  string `yaml:"address"`
	DB       int    `yaml:"db"`
	Username string `yaml:"username"`
	Password string `yaml:"password"`
	// Mode is "list" or "lpush" (LPUSH, the default), "rpush" (RPUSH),
	// "channel" or "publish" (PUBLISH), "stream" or "xadd" (XADD).
	Mode string `yaml:"mode"`
	// Key is the list, channel or stream name (default "borderwatch").
	Key string `yaml:"key"`
	// StreamMaxLen trims the stream to about this many entries (XADD
	// MAXLEN ~ N); 0 does not trim.
	StreamMaxLen int64 `yaml:"stream_maxlen"`
	// StreamField is the field holding the JSON in each stream entry
	// (default "alert").
	StreamField string `yaml:"stream_field"`
	// DialTimeout and WriteTimeout bound connects and each pipeline
	// (defaults 5s and 10s).
	DialTimeout  time.Duration `yaml:"dial_timeout"`
	WriteTimeout time.Duration `yaml:"write_timeout"`
	Spool        SpoolConfig   `yaml:"spool"`
}

// redisMode normalises the mode: lpush, rpush, publish or xadd.
func redisMode(m string) (string, bool) {
	switch m {
	case "", "list", "lpush":
		return "lpush", true
	case "rpush":
		return "rpush", true
	case "channel", "publish":
		return "publish", true
	case "stream", "xadd":
		return "xadd", true
	}
	return "", false
}

// Validate checks the settings.
func (c *RedisConfig) Validate() error {
	what := "redis output " + oneLine(c.Address)
	if err := c.Common.validate(what); err != nil {
		return err
	}
	if _, _, err := net.SplitHostPort(c.Address); err != nil {
		return fmt.Errorf("%s: address: %s", what, oneLine(err.Error())) // the error quotes the address raw
	}
	if c.DB < 0 {
		return fmt.Errorf("%s: db %d: must not be negative", what, c.DB)
	}
	if _, ok := redisMode(c.Mode); !ok {
		return fmt.Errorf("%s: mode %q: want list, lpush, rpush, channel, publish, stream or xadd", what, c.Mode)
	}
	if c.StreamMaxLen < 0 {
		return fmt.Errorf("%s: stream_maxlen %d: must not be negative", what, c.StreamMaxLen)
	}
	if m, _ := redisMode(c.Mode); m != "xadd" && (c.StreamMaxLen != 0 || c.StreamField != "") {
		return fmt.Errorf("%s: stream_maxlen and stream_field need mode stream", what)
	}
	if c.DialTimeout < 0 || c.WriteTimeout < 0 {
		return fmt.Errorf("%s: timeouts must not be negative", what)
	}
	return c.Spool.validate(what)
}

// Open validates c and starts the output. It does not connect: a down
// server is not an error here.
func (c *RedisConfig) Open(log zerolog.Logger) (*Output, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	mode, _ := redisMode(c.Mode)
	key := c.Key
	if key == "" {
		key = "borderwatch"
	}
	field := c.StreamField
	if field == "" {
		field = "alert"
	}
	wt := cmp.Or(c.WriteTimeout, DefaultWriteTimeout)
	b := &redisBackend{
		client: redis.NewClient(&redis.Options{
			Addr:          c.Address,
			DB:            c.DB,
			Username:      c.Username,
			Password:      c.Password,
			DialTimeout:   cmp.Or(c.DialTimeout, DefaultDialTimeout),
			ReadTimeout:   wt,
			WriteTimeout:  wt,
			MaxRetries:    -1, // the Output retries, with backoff and spool
			DialerRetries: 1,
			PoolSize:      2,
		}),
		mode:    mode,
		key:     key,
		field:   field,
		maxLen:  c.StreamMaxLen,
		timeout: wt,
	}
	return newOutput("redis", "redis://"+c.Address+"/"+strconv.Itoa(c.DB)+"?mode="+mode+"&key="+key, &c.Common, b, c.Spool, log)
}

// parseRedisURL parses redis://[user:password@]host[:port][/db]?….
func parseRedisURL(s string, u *url.URL) (Config, error) {
	c := &RedisConfig{}
	addr, err := splitHostPortDefault(u.Host, "6379")
	if err != nil {
		return nil, fmt.Errorf("output %q: %w", s, err)
	}
	c.Address = addr
	if db := strings.Trim(u.Path, "/"); db != "" {
		n, err := strconv.Atoi(db)
		if err != nil {
			return nil, fmt.Errorf("output %q: database %q: want a number", s, db)
		}
		c.DB = n
	}
	if u.User != nil {
		c.Username = u.User.Username()
		c.Password, _ = u.User.Password()
	}
	p := params{out: s, q: u.Query()}
	p.common(&c.Common)
	p.spool(&c.Spool)
	p.strTo("mode", &c.Mode)
	p.strTo("key", &c.Key)
	p.int64To("maxlen", &c.StreamMaxLen)
	p.strTo("field", &c.StreamField)
	p.durTo("dial_timeout", &c.DialTimeout)
	p.durTo("write_timeout", &c.WriteTimeout)
	if err := p.done(); err != nil {
		return nil, err
	}
	return c, c.Validate()
}

type redisBackend struct {
	client           *redis.Client
	mode, key, field string
	maxLen           int64
	timeout          time.Duration
	args             []any
}

func (b *redisBackend) frame(dst []byte, _ *alert.Alert, rec []byte) []byte {
	return append(dst, rec...)
}

func (b *redisBackend) connect(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, b.timeout)
	defer cancel()
	if err := b.client.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("connecting to redis: %w", err)
	}
	return nil
}

// write sends the batch: list modes as one LPUSH/RPUSH, which Redis applies
// whole or not at all; channel and stream modes as one pipeline, of which
// the commands before the first failed one count as delivered.
func (b *redisBackend) write(ctx context.Context, entries [][]byte) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, b.timeout)
	defer cancel()
	if b.mode == "lpush" || b.mode == "rpush" {
		b.args = b.args[:0]
		for _, e := range entries {
			b.args = append(b.args, e)
		}
		var err error
		if b.mode == "lpush" {
			err = b.client.LPush(ctx, b.key, b.args...).Err()
		} else {
			err = b.client.RPush(ctx, b.key, b.args...).Err()
		}
		clear(b.args)
		if err != nil {
			return 0, fmt.Errorf("writing to redis: %w", err)
		}
		return len(entries), nil
	}
	cmds, err := b.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, e := range entries {
			if b.mode == "publish" {
				p.Publish(ctx, b.key, e)
				continue
			}
			p.XAdd(ctx, &redis.XAddArgs{
				Stream: b.key,
				MaxLen: b.maxLen,
				Approx: b.maxLen > 0,
				Values: []any{b.field, e},
			})
		}
		return nil
	})
	if err == nil {
		return len(entries), nil
	}
	done := 0
	for _, c := range cmds {
		if c.Err() != nil {
			break
		}
		done++
	}
	return done, fmt.Errorf("writing to redis: %w", err)
}

func (b *redisBackend) disconnect() {}

func (b *redisBackend) close(context.Context) error { return b.client.Close() }

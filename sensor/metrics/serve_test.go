package metrics

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/borderwatch/borderwatch/geo"
)

func TestServe(t *testing.T) {
	tab, _ := labTable(t)
	c := New(Sources{Geo: geo.NewHolder(tab)})
	off, err := Serve("off", c, zerolog.Nop())
	if err != nil || off.Addr() != "off" || off.Close() != nil {
		t.Fatalf("off: %v, %q", err, off.Addr())
	}
	s, err := Serve("127.0.0.1:0", c, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	resp, err := http.Get("http://" + s.Addr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `borderwatch_geoip_database_build_timestamp_seconds{database="lab",kind="country"} `) {
		t.Errorf("scrape lacks the lab database:\n%.500s", body)
	}
	_, err = Serve(s.Addr(), c, zerolog.Nop())
	var le *ListenError
	if !errors.As(err, &le) || !strings.HasPrefix(err.Error(), "metrics endpoint: listen tcp "+s.Addr()+": ") {
		t.Errorf("busy address: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := http.Get("http://" + s.Addr() + "/metrics"); err == nil {
		t.Error("the endpoint still answers after Close")
	}
}

// TestServeClosesIdle: a kept-alive connection that sends no next request
// is closed after idleTimeout (here 50 ms; the read waits up to 10 s).
func TestServeClosesIdle(t *testing.T) {
	defer func(d time.Duration) { idleTimeout = d }(idleTimeout)
	idleTimeout = 50 * time.Millisecond
	tab, _ := labTable(t)
	s, err := Serve("127.0.0.1:0", New(Sources{Geo: geo.NewHolder(tab)}), zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	conn, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(io.Discard, resp.Body); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("first response: %s, %v", resp.Status, err)
	}
	resp.Body.Close()
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	if n, err := br.Read(make([]byte, 1)); n != 0 || !errors.Is(err, io.EOF) {
		t.Errorf("idle connection: read %d bytes, %v; want EOF (closed by the server)", n, err)
	}
}

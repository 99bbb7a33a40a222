package metrics

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

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

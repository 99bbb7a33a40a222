package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/borderwatch/borderwatch/share"
)

// TestShareSTIX is `borderwatch share stix` on the sample alert: a bundle
// on standard output with the foreign address, the summary on stderr.
func TestShareSTIX(t *testing.T) {
	t.Chdir(repoRoot)
	out, stderr, code := runCLI(t, "share", "stix", "--tlp", "green", "--identity", "CERT-Example gw", "testdata/sample/scan-inbound.alerts.json")
	if code != exitOK {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	var b struct {
		Objects []map[string]any `json:"objects"`
	}
	if err := json.Unmarshal([]byte(out), &b); err != nil {
		t.Fatal(err)
	}
	n := map[string]int{}
	for _, o := range b.Objects {
		n[o["type"].(string)]++
		if o["type"] == "identity" && o["name"] != "CERT-Example gw" {
			t.Errorf("identity %v", o)
		}
		if o["type"] == "marking-definition" && o["id"] != "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb" {
			t.Errorf("marking %v, want TLP:GREEN's", o["id"])
		}
	}
	if len(b.Objects) != 12 || n["indicator"] != 1 || n["sighting"] != 1 || n["ipv4-addr"] != 1 {
		t.Errorf("objects %v", n)
	}
	if !strings.Contains(out, `"[ipv4-addr:value = '36.110.0.1']"`) || strings.Contains(out, "192.168.1.10") || strings.Contains(out, `"gw1"`) {
		t.Errorf("bundle shares the wrong side:\n%s", out)
	}
	if want := "shared 1 address from 1 of 1 alerts (1 lines read)\n"; stderr != want {
		t.Errorf("stderr %q, want %q", stderr, want)
	}
}

// TestShareMISPFeed is `borderwatch share misp --feed DIR`, then -o FILE,
// then standard input.
func TestShareMISPFeed(t *testing.T) {
	sample := filepath.Join(repoRoot, "testdata", "sample", "scan-inbound.alerts.json")
	dir := filepath.Join(t.TempDir(), "feed")
	_, stderr, code := runCLI(t, "share", "misp", "--feed", dir, sample)
	if code != exitOK || !strings.Contains(stderr, "added to the MISP feed in "+dir) {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	m, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var manifest map[string]map[string]any
	if err := json.Unmarshal(m, &manifest); err != nil || len(manifest) != 1 {
		t.Fatalf("manifest %s (%v)", m, err)
	}
	for id := range manifest {
		ev, err := os.ReadFile(filepath.Join(dir, id+".json"))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(ev), `"value": "36.110.0.1"`) || !strings.Contains(string(ev), `"name": "tlp:amber"`) {
			t.Errorf("event %s", ev)
		}
	}

	file := filepath.Join(t.TempDir(), "event.json")
	out, stderr, code := runCLI(t, "share", "misp", "-o", file, sample)
	if code != exitOK || out != "" {
		t.Fatalf("exit %d, stdout %q, stderr:\n%s", code, out, stderr)
	}
	if b, err := os.ReadFile(file); err != nil || !strings.Contains(string(b), `"type": "ip-src"`) {
		t.Errorf("-o %s: %s (%v)", file, b, err)
	}
}

// TestShareInputErrors: usage errors exit 2; bad lines are reported with
// file and line and skipped; nothing to share writes nothing.
func TestShareInputErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	internal := `{"timestamp":"2026-11-25T22:21:27.014000+0000","event_type":"alert","src_ip":"192.0.2.1","dest_ip":"192.0.2.2","alert":{"metadata":{"geo_direction":["internal"]}}}`
	if err := os.WriteFile(bad, []byte("garbage secret-token\n"+internal+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args   []string
		code   int
		stderr []string
	}{
		{[]string{"share", "stix", "--tlp", "purple", bad}, exitUsage, []string{`--tlp: unknown TLP level "purple"`}},
		{[]string{"share", "stix", "--valid-for", "0s", bad}, exitUsage, []string{"--valid-for: give a positive duration"}},
		{[]string{"share", "stix", filepath.Join(dir, "missing.json")}, exitUsage, []string{"reading alerts: ", "missing.json: no such file"}},
		{[]string{"share", "stix", dir}, exitUsage, []string{"not a regular file"}},
		{[]string{"share", "misp", "--feed", dir, "-o", "x", bad}, exitUsage, []string{"--feed and --output exclude each other"}},
		{[]string{"share", "stix"}, exitUsage, []string{"requires at least 1 arg(s)"}},
		{[]string{"share", "misp", bad}, exitOK, []string{
			"shared 0 addresses from 0 of 1 alerts (2 lines read)",
			"not shared: 1: no foreign address",
			"1 bad line skipped:\n  " + bad + ":1: not a JSON object",
			"nothing written: nothing to share",
		}},
	} {
		t.Run(strings.Join(tc.args[1:], " "), func(t *testing.T) {
			out, stderr, code := runCLI(t, tc.args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, tc.code, stderr)
			}
			for _, w := range tc.stderr {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr %q, want it to contain %q", stderr, w)
				}
			}
			if strings.Contains(stderr, "secret-token") || out != "" {
				t.Errorf("stdout %q, stderr %q: quotes input or writes output", out, stderr)
			}
		})
	}
}

// TestShareStdin: "-" reads the alerts from standard input.
func TestShareStdin(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(repoRoot, "testdata", "sample", "scan-inbound.alerts.json"))
	if err != nil {
		t.Fatal(err)
	}
	root := newRootCmd(newApp())
	var out, errb strings.Builder
	root.SetIn(strings.NewReader(string(b)))
	root.SetOut(&out)
	root.SetErr(&errb)
	root.SetArgs([]string{"share", "misp", "-"})
	if err := root.Execute(); err != nil {
		t.Fatalf("%v; stderr:\n%s", err, errb.String())
	}
	if !strings.Contains(out.String(), `"value": "36.110.0.1"`) || !strings.Contains(errb.String(), "shared 1 address from 1 of 1 alerts") {
		t.Errorf("stdout:\n%s\nstderr:\n%s", out.String(), errb.String())
	}
}

// TestShareTAXII is `borderwatch share stix --taxii URL`: the sample's
// objects are POSTed as one TAXII 2.1 envelope with the password from the
// environment.
func TestShareTAXII(t *testing.T) {
	var got []map[string]any
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, p, ok := r.BasicAuth()
		if !ok || u != "gw1" || p != "pw-from-env" || r.Method != http.MethodPost ||
			r.URL.Path != "/api1/collections/c1/objects/" || r.Header.Get("Content-Type") != share.TAXIIMediaType {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var env struct {
			Objects []map[string]any `json:"objects"`
		}
		if err := json.NewDecoder(r.Body).Decode(&env); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		got = append(got, env.Objects...)
		w.Header().Set("Content-Type", share.TAXIIMediaType)
		w.WriteHeader(http.StatusAccepted)
		json.NewEncoder(w).Encode(map[string]any{"id": "s1", "status": "complete", "success_count": len(env.Objects)})
	}))
	defer ts.Close()
	t.Setenv("BORDERWATCH_TAXII_PASSWORD", "pw-from-env")
	sample := filepath.Join(repoRoot, "testdata", "sample", "scan-inbound.alerts.json")
	out, stderr, code := runCLI(t, "share", "stix", "--taxii", ts.URL+"/api1/collections/c1/", "--taxii-user", "gw1", sample)
	if code != exitOK || out != "" {
		t.Fatalf("exit %d, stdout %q, stderr:\n%s", code, out, stderr)
	}
	if !strings.Contains(stderr, "taxii: 12 objects sent in 1 requests: 12 succeeded, 0 failed, 0 pending") || len(got) != 12 {
		t.Errorf("server got %d objects; stderr:\n%s", len(got), stderr)
	}

	_, stderr, code = runCLI(t, "share", "stix", "--taxii", "http://taxii.example/api1/collections/c1/", sample)
	if code != exitUsage || !strings.Contains(stderr, "plain http only to a loopback address") {
		t.Errorf("non-loopback http: exit %d, stderr:\n%s", code, stderr)
	}
	t.Setenv("BORDERWATCH_TAXII_PASSWORD", "wrong-pw")
	_, stderr, code = runCLI(t, "share", "stix", "--taxii", ts.URL+"/api1/collections/c1/", "--taxii-user", "gw1", sample)
	if code != exitRuntime || !strings.Contains(stderr, "taxii: HTTP 401: unauthorized") || strings.Contains(stderr, "wrong-pw") {
		t.Errorf("bad password: exit %d, stderr:\n%s", code, stderr)
	}
}

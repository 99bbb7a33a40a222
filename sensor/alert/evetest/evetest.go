package evetest

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// timeout bounds one validator run.
const timeout = 2 * time.Minute

// Validator returns the path of validate.py, or why it cannot be used.
func Validator() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
	script := filepath.Join(dir, "..", "shared", "schemas", "validate.py")
	for _, p := range []string{script, filepath.Join(filepath.Dir(script), "suricata-eve.schema.json")} {
		if _, err := os.Stat(p); err != nil {
			return "", errors.New(p + " is absent: the shared schemas (../shared/schemas) are not checked out here")
		}
	}
	if _, err := exec.LookPath("python3"); err != nil {
		return "", errors.New("python3 is not installed")
	}
	out, err := exec.Command("python3", "-c", "import jsonschema, referencing").CombinedOutput()
	if err != nil {
		return "", errors.New("python3 cannot import jsonschema and referencing (jsonschema >= 4.18 needed): " +
			strings.TrimSpace(string(out)))
	}
	return script, nil
}

// Validate fails t with the validator's findings unless every line of the
// EVE JSON-lines file path is valid against Suricata's schema; it skips t
// when the validator is unavailable.
func Validate(t testing.TB, path string) {
	t.Helper()
	script, err := Validator()
	if err != nil {
		t.Skip(err)
	}
	out, err := run(script, path)
	if err != nil {
		t.Errorf("%s is not valid against Suricata's EVE schema: %v\n%s", path, err, out)
	}
}

// ValidateLines is Validate for EVE JSON lines in memory; name says in the
// failure what they are.
func ValidateLines(t testing.TB, name string, lines []byte) {
	t.Helper()
	script, err := Validator()
	if err != nil {
		t.Skip(err)
	}
	path := filepath.Join(t.TempDir(), "alerts.json")
	if err := os.WriteFile(path, lines, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := run(script, path)
	if err != nil {
		t.Errorf("%s: alerts not valid against Suricata's EVE schema: %v\n%s\nalerts:\n%s", name, err, out, lines)
	}
}

// Problems runs the validator on path and returns its report and whether it
// found problems; for tests that expect invalid records.
func Problems(t testing.TB, path string) (string, bool) {
	t.Helper()
	script, err := Validator()
	if err != nil {
		t.Skip(err)
	}
	out, err := run(script, path)
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("running %s: %v\n%s", script, err, out)
	}
	return out, err != nil
}

func run(script, path string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, "python3", script, "eve", path)
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

//go:build linux

package lab

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// hydraTasks is the parallel tasks (-t) every hydra run of the lab uses.
const hydraTasks = 24

// TestLabWordlists checks the word lists lab.sh writes (no root needed).
// Hydra 9.4's parent can count a worker as gone twice once every pair has
// been handed out and exit while another worker still tests its pair
// ("0 valid password found ... 1 final worker threads did not complete");
// with the password last, that pair was the password (1 run in 25-30 under
// the lab's spread flood). Hydra's list therefore has the password after
// one pair per task, so that all the workers connect before it is tried
// (the brute-force rules count their connections), and two more pairs per
// task after it, so that the list cannot run out before its answer. Medusa
// and ncrack keep the list with the password last.
func TestLabWordlists(t *testing.T) {
	dir := t.TempDir()
	c := exec.Command("bash", "lab.sh", "wordlists")
	c.Env = append(os.Environ(), "BWL_STATE="+dir)
	if out, err := c.CombinedOutput(); err != nil {
		t.Fatalf("lab.sh wordlists: %v\n%s", err, out)
	}
	read := func(name string) []string {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	}
	base := read("passwords.txt")
	if len(base) != hydraTasks+1 {
		t.Fatalf("passwords.txt: %d lines, want %d (24 wrong guesses, then the password)", len(base), hydraTasks+1)
	}
	pass := base[len(base)-1]
	if strings.HasPrefix(pass, "guess") {
		t.Fatalf("passwords.txt ends with %q, want the lab password", pass)
	}
	hydra := read("passwords-hydra.txt")
	seen := map[string]bool{}
	at := -1
	for i, w := range hydra {
		if seen[w] {
			t.Errorf("passwords-hydra.txt line %d: %q again", i+1, w)
		}
		seen[w] = true
		if w == pass {
			at = i
		}
	}
	if at != hydraTasks {
		t.Errorf("passwords-hydra.txt: the password on line %d, want %d (after one guess per hydra task)", at+1, hydraTasks+1)
	}
	if after := len(hydra) - at - 1; after < 2*hydraTasks {
		t.Errorf("passwords-hydra.txt: %d guesses after the password, want at least %d (two per hydra task)", after, 2*hydraTasks)
	}
}

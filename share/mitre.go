package share

import "strings"

// technique is what share knows about a MITRE ATT&CK (Enterprise) technique:
// its name and the tactics (kill chain phases) it belongs to.
type technique struct {
	name    string
	tactics []string
}

// techniques holds the techniques borderwatch's detectors report (the
// default rule pack and docs/rules.md) and their parents. An id not listed
// is shared with its id as its name and without a kill chain phase.
var techniques = map[string]technique{
	"T1041":     {"Exfiltration Over C2 Channel", []string{"exfiltration"}},
	"T1046":     {"Network Service Discovery", []string{"discovery"}},
	"T1048":     {"Exfiltration Over Alternative Protocol", []string{"exfiltration"}},
	"T1071":     {"Application Layer Protocol", []string{"command-and-control"}},
	"T1110":     {"Brute Force", []string{"credential-access"}},
	"T1110.001": {"Password Guessing", []string{"credential-access"}},
	"T1110.003": {"Password Spraying", []string{"credential-access"}},
	"T1110.004": {"Credential Stuffing", []string{"credential-access"}},
	"T1498":     {"Network Denial of Service", []string{"impact"}},
	"T1498.001": {"Direct Network Flood", []string{"impact"}},
	"T1498.002": {"Reflection Amplification", []string{"impact"}},
	"T1499":     {"Endpoint Denial of Service", []string{"impact"}},
	"T1499.002": {"Service Exhaustion Flood", []string{"impact"}},
	"T1595":     {"Active Scanning", []string{"reconnaissance"}},
	"T1595.001": {"Scanning IP Blocks", []string{"reconnaissance"}},
	"T1595.002": {"Vulnerability Scanning", []string{"reconnaissance"}},
}

// techniqueName is the ATT&CK name of id, or id when unknown.
func techniqueName(id string) string {
	if t, ok := techniques[id]; ok {
		return t.name
	}
	return id
}

// techniqueURL is the technique's page on attack.mitre.org.
func techniqueURL(id string) string {
	return "https://attack.mitre.org/techniques/" + strings.ReplaceAll(id, ".", "/") + "/"
}

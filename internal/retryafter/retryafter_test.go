package retryafter

import (
	"net/http"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	now := time.Date(2026, 12, 5, 22, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name, h string
		want    time.Duration
		ok      bool
	}{
		{"seconds", "120", 2 * time.Minute, true},
		{"spaces", " 30 ", 30 * time.Second, true},
		{"zero", "0", 0, true},
		{"at the cap", "3600", Max, true},
		{"over the cap", "3601", Max, true},
		{"past a Duration", "9999999999999", Max, true},
		{"past 64 bits", "18446744073709551616", Max, true},
		{"HTTP date", now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second, true},
		{"RFC 850 date", now.Add(time.Minute).Format(time.RFC850), time.Minute, true},
		{"date in the past", now.Add(-time.Hour).Format(http.TimeFormat), 0, true},
		{"date far ahead", now.AddDate(5, 0, 0).Format(http.TimeFormat), Max, true},
		{"negative", "-5", 0, false},
		{"plus sign", "+5", 0, false},
		{"fraction", "1.5", 0, false},
		{"garbage", "soon", 0, false},
		{"control bytes", "12\x00", 0, false},
		{"empty", "", 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := Parse(tc.h, now)
			if got != tc.want || ok != tc.ok {
				t.Errorf("Parse(%q) = %s, %v; want %s, %v", tc.h, got, ok, tc.want, tc.ok)
			}
		})
	}
}

package config

import (
	"reflect"
	"testing"

	"github.com/borderwatch/borderwatch/sensor/capture/live"
	"github.com/borderwatch/borderwatch/sensor/pipeline"
)

// TestOneNamePerSetting: a capture setting has one Go name in the
// configuration and in the component that takes it (once SnapLength and
// SnapLen, QueueSize and QueueLen named the same thing).
func TestOneNamePerSetting(t *testing.T) {
	byTag := map[string]string{}
	lt := reflect.TypeFor[live.Configuration]()
	for i := range lt.NumField() {
		f := lt.Field(i)
		byTag[f.Tag.Get("yaml")] = f.Name
	}
	ct := reflect.TypeFor[CaptureConfig]()
	pt := reflect.TypeFor[pipeline.Config]()
	for i := range ct.NumField() {
		f := ct.Field(i)
		tag := f.Tag.Get("yaml")
		if name, ok := byTag[tag]; ok {
			if name != f.Name {
				t.Errorf("capture.%s: CaptureConfig.%s, live.Configuration.%s", tag, f.Name, name)
			}
			continue
		}
		if _, ok := pt.FieldByName(f.Name); !ok {
			t.Errorf("capture.%s: CaptureConfig.%s is neither live.Configuration's nor pipeline.Config's", tag, f.Name)
		}
	}
}

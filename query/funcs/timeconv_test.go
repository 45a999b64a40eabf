package funcs

import (
	"bytes"
	"encoding/binary"
	"testing"
	"time"

	"wcdb/schema"
)

func mustEncode(t *testing.T, typ schema.Type, v any) []byte {
	t.Helper()
	b, err := schema.Encode(typ, v)
	if err != nil {
		t.Fatalf("Encode(%v, %v): %v", typ, v, err)
	}
	return b
}

func TestTimeConversions(t *testing.T) {
	// 50554d6e-29bb-11e5-b345-feff819cdc9f: 0x1e529bb50554d6e ticks of
	// 100 ns since 1582-10-15.
	u, err := schema.ParseUUID("50554d6e-29bb-11e5-b345-feff819cdc9f")
	if err != nil {
		t.Fatal(err)
	}
	want := schema.TimeuuidTime(u)
	tu := schema.Native(schema.KindTimeuuid)
	ts, err := ToTimestamp(tu, u[:])
	if err != nil {
		t.Fatal(err)
	}
	if got, want := schema.Format(schema.Native(schema.KindTimestamp), ts), want.Truncate(time.Millisecond).Format("'2006-01-02T15:04:05.000Z'"); got != want {
		t.Errorf("toTimestamp = %s, want %s", got, want)
	}
	unix, _ := ToUnixTimestamp(tu, u[:])
	if got := int64(binary.BigEndian.Uint64(unix)); got != want.UnixMilli() {
		t.Errorf("toUnixTimestamp = %d, want %d", got, want.UnixMilli())
	}
	date, _ := ToDate(tu, u[:])
	if got := schema.Format(schema.Native(schema.KindDate), date); got != "'2015-07-14'" {
		t.Errorf("toDate = %s", got)
	}
	// Dates before the epoch round down; a date converts to its midnight.
	before := mustEncode(t, schema.Native(schema.KindTimestamp), "1969-12-31 23:59:59.999")
	if d, _ := ToDate(schema.Native(schema.KindTimestamp), before); schema.Format(schema.Native(schema.KindDate), d) != "'1969-12-31'" {
		t.Errorf("toDate(1969-12-31 23:59:59.999) = %s", schema.Format(schema.Native(schema.KindDate), d))
	}
	d := mustEncode(t, schema.Native(schema.KindDate), "2011-02-03")
	if ts, _ := ToTimestamp(schema.Native(schema.KindDate), d); schema.Format(schema.Native(schema.KindTimestamp), ts) != "'2011-02-03T00:00:00.000Z'" {
		t.Errorf("toTimestamp(date) = %s", schema.Format(schema.Native(schema.KindTimestamp), ts))
	}
	if d2, _ := ToDate(schema.Native(schema.KindDate), d); !bytes.Equal(d2, d) {
		t.Errorf("toDate(date) = %x", d2)
	}
	if b, err := ToTimestamp(tu, nil); b != nil || err != nil {
		t.Errorf("toTimestamp(empty) = %x, %v", b, err)
	}
	if _, err := ToTimestamp(schema.Native(schema.KindInt), []byte{0, 0, 0, 1}); err == nil {
		t.Errorf("toTimestamp accepted an int")
	}

}

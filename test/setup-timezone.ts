// Adapter fixtures resolve page times in the browser's local zone. Pin one zone with a
// daylight-saving rule so expected JSON is the same on every machine (Node re-reads TZ on set).
process.env.TZ = 'America/New_York';

package console

// noShape are the country codes the embedded GeoIP database can return that
// have no shape of their own on the map, with the reason. Their alerts and
// counters are in the feed, the snapshot and the table view; the map does
// not shade them. TestShapeCodes keeps this list exact.
var noShape = map[string]string{
	"BQ": "Bonaire, Sint Eustatius and Saba: part of the Netherlands' shape in Natural Earth",
	"BV": "Bouvet Island: uninhabited, not in Natural Earth 1:50m",
	"CC": "Cocos (Keeling) Islands: drawn with Christmas Island in Natural Earth's Indian Ocean Territories (CX)",
	"GF": "French Guiana: part of France's shape in Natural Earth",
	"GI": "Gibraltar: smaller than Natural Earth 1:50m draws",
	"GP": "Guadeloupe: part of France's shape in Natural Earth",
	"MQ": "Martinique: part of France's shape in Natural Earth",
	"RE": "Réunion: part of France's shape in Natural Earth",
	"SJ": "Svalbard and Jan Mayen: part of Norway's shape in Natural Earth",
	"TK": "Tokelau: smaller than Natural Earth 1:50m draws",
	"TV": "Tuvalu: smaller than Natural Earth 1:50m draws",
	"UM": "United States Minor Outlying Islands: smaller than Natural Earth 1:50m draws",
	"YT": "Mayotte: part of France's shape in Natural Earth",
}

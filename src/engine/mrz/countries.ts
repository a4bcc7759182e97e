// Issuing state and nationality codes an MRZ may carry: ICAO Doc 9303-3 §5 (ISO 3166-1 alpha-3
// plus ICAO's own codes). Names carry no check digit and neither do these fields, so a reader
// uses the list to settle a misread letter ('QRC' is no state, 'GRC' is).

const ISO_3166_ALPHA3 = `
AFG ALA ALB DZA ASM AND AGO AIA ATA ATG ARG ARM ABW AUS AUT AZE BHS BHR BGD BRB BLR BEL BLZ BEN
BMU BTN BOL BES BIH BWA BVT BRA IOT BRN BGR BFA BDI CPV KHM CMR CAN CYM CAF TCD CHL CHN CXR CCK
COL COM COG COD COK CRI CIV HRV CUB CUW CYP CZE DNK DJI DMA DOM ECU EGY SLV GNQ ERI EST SWZ ETH
FLK FRO FJI FIN FRA GUF PYF ATF GAB GMB GEO DEU GHA GIB GRC GRL GRD GLP GUM GTM GGY GIN GNB GUY
HTI HMD VAT HND HKG HUN ISL IND IDN IRN IRQ IRL IMN ISR ITA JAM JPN JEY JOR KAZ KEN KIR PRK KOR
KWT KGZ LAO LVA LBN LSO LBR LBY LIE LTU LUX MAC MDG MWI MYS MDV MLI MLT MHL MTQ MRT MUS MYT MEX
FSM MDA MCO MNG MNE MSR MAR MOZ MMR NAM NRU NPL NLD NCL NZL NIC NER NGA NIU NFK MKD MNP NOR OMN
PAK PLW PSE PAN PNG PRY PER PHL PCN POL PRT PRI QAT REU ROU RUS RWA BLM SHN KNA LCA MAF SPM VCT
WSM SMR STP SAU SEN SRB SYC SLE SGP SXM SVK SVN SLB SOM ZAF SGS SSD ESP LKA SDN SUR SJM SWE CHE
SYR TWN TJK TZA THA TLS TGO TKL TON TTO TUN TUR TKM TCA TUV UGA UKR ARE GBR USA UMI URY UZB VUT
VEN VNM VGB VIR WLF ESH YEM ZMB ZWE`

// ICAO 9303-3 §5: Germany is 'D'; British nationals of various status; United Nations and
// other organisations; stateless and refugees; Kosovo; the specimen state Utopia; and codes
// still found on documents issued before a state changed its code.
const ICAO_SPECIAL = `
D GBD GBN GBO GBP GBS UNO UNA UNK XBA XIM XCC XCE XCO XEC XPO XES XMP XOM XDC XXA XXB XXC XXX
EUE RKS UTO ANT NTZ YUG SCG CSK`

const CODES = new Set(`${ISO_3166_ALPHA3} ${ICAO_SPECIAL}`.split(/\s+/).filter(Boolean))

/** Whether a 3-character MRZ country field ('GRC', 'D<<') names a state or organisation ICAO lists. */
export function isMrzCountryCode(field: string): boolean {
  return CODES.has(field.replace(/<+$/, ''))
}

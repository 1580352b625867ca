/* SPDX-License-Identifier: GPL-3.0-or-later */
/* bench/gen/harmrank-gen.c
 *
 * Seeded generator of synthetic offence extracts for harmrank's tests,
 * sample data and benchmarks. It streams an offences CSV (DESIGN.md §3)
 * whose offence mix follows Cambridgeshire's recorded crime in 2024/25
 * (shared/data/reference/prc_cambridgeshire_2024_25_by_category.csv), split
 * into subgroups by the England and Wales 2024/25 volumes and into Home
 * Office codes by within-subgroup shares that are our own estimates. Only
 * codes that exist in config/weights/cchi-estimates-ho-class.csv (or
 * -ho-letter.csv with --codes letter) are drawn, apart from the deliberate
 * unknown codes below. The offender population has four pools: general
 * offenders; occasional offenders, who mostly appear once or twice;
 * domestic-abuse (DA) perpetrators, who mostly commit DA crimes against the
 * same one to three victims, the busiest eighth of them taking the high-harm
 * DA crimes; and a small pool of specialists who take most non-domestic
 * high-harm crimes (>= 100 days). Within each pool but the occasional one an
 * offender's rate falls as a power of its rank (rank = M * u^k, a Zipf-like
 * rank-frequency law, with the very top cut off so nobody commits thousands
 * of crimes), which gives the heavy tail the "power few"
 * studies report (harm_concentration_studies.csv: 7% of detected offenders
 * held 80% of CCHI harm in Northamptonshire; 3% of IPV perpetrators held 90%
 * in Thames Valley).
 *
 * Measured with a throwaway join of the output to the shipped class-code
 * weights, proactive codes, unknown codes, bad dates, missing offenders and
 * exact duplicate rows left out, co-offenders each credited with the crime
 * (default seed, end 2026-10-31, 3 years):
 *   rows       window        top 1%  top 5%  top 10% of offenders' harm
 *   60,000     3 years       35.4%   75.0%   86.5%   (13,106 offenders)
 *   60,000     last 365 d    40.1%   81.9%   86.3%   (8,503)
 *   1,000,000  3 years       34.9%   74.8%   86.6%   (219,172)
 *   1,000,000  last 365 d    41.8%   82.2%   86.2%   (142,416)
 *   60,000 --codes letter    26.9%   69.0%   86.5%   (3 years)
 * Targets: top 5% -> 60-80%; Northamptonshire 7% -> 80% (ours 83.0%).
 * Distinct offenders are rows / 4.5; 27% appear once, the busiest about 80
 * times. DA perpetrators: 79% commit mostly DA crimes, the top 3% hold about
 * 50% of DA harm (Thames Valley reported 90%: ours is milder on purpose,
 * since the shipped DA weights are estimates). About 16% of DA-eligible
 * crimes are flagged domestic and 3.9% of crimes have 2-3 offenders.
 *
 * Determinism: one xoshiro256** stream seeded through splitmix64 and only
 * integer arithmetic after the start, so a seed gives the same bytes on every
 * platform. Memory is constant: offenders are ranks, and their attributes
 * (home district, DA victims, printed number) are hashes of the rank.
 *
 * Awkward but valid CSV is sprinkled in at seeded rates: about 0.3% each of
 * quoted fields with a comma, a doubled quote or a newline, exact duplicate
 * rows and unknown codes (999/99, ZZ1); about 0.05% each of impossible dates
 * and missing offender ids, which a loader must reject.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { VM_PERSON, VM_HALF, VM_SHOP, VM_NONE };

/* One drawable offence code. weight: share of recorded crime in parts per
 * million. da: chance (out of 65536) that a crime of this code is flagged
 * domestic. vm: how the victim column is filled. high: 1 when the shipped
 * weight is >= 100 days and the code is not proactive. */
typedef struct {
  const char *code;
  uint32_t weight;
  uint32_t da;
  unsigned char vm;
  unsigned char high;
} code_row;

/* The tables below were computed once from the reference volumes and the
 * within-subgroup shares (our estimates; e.g. ABH is 78% of violence with
 * injury, s18 2.5%, attempted murder 0.3%). The comment on each row is the
 * shipped weight. Class mode has no burglary, sexual-offence, weapons or
 * driving codes because cchi-estimates-ho-class.csv (built from a partial
 * code list) has none; their volume is spread over the other categories.
 * DA probabilities are set so that about 17% of violence, stalking and
 * harassment, sexual offences and criminal damage are flagged domestic, with
 * coercive control (008/67) and strangulation (008/77) always domestic. */
/* class_codes: 95 codes; DA probability for eligible codes 0.1252 */
static const code_row class_codes[] = {
    {"105/01", 128473u, 8205u, VM_PERSON, 0}, /* 1 d */
    {"046/00", 119899u, 0u, VM_SHOP, 0},      /* 1 d */
    {"008/06", 100436u, 8205u, VM_PERSON, 0}, /* 10 d */
    {"149/00", 93784u, 8205u, VM_PERSON, 0},  /* 2 d */
    {"008/72", 61849u, 8205u, VM_PERSON, 0},  /* 2 d */
    {"049/10", 49884u, 0u, VM_PERSON, 0},     /* 2 d */
    {"045/10", 29534u, 0u, VM_PERSON, 0},     /* 5 d */
    {"044/00", 29492u, 0u, VM_PERSON, 0},     /* 2 d */
    {"125/12", 23713u, 0u, VM_HALF, 0},       /* 1 d */
    {"125/09", 19761u, 0u, VM_HALF, 0},       /* 7.5 d */
    {"125/11", 19761u, 0u, VM_HALF, 0},       /* 7.5 d */
    {"008/67", 18555u, 65536u, VM_PERSON, 0}, /* 10 d */
    {"008/31", 18555u, 8205u, VM_PERSON, 0},  /* 10 d */
    {"053/25", 16628u, 0u, VM_PERSON, 0},     /* 2 d */
    {"008/73", 14683u, 8205u, VM_PERSON, 0},  /* 2 d */
    {"039/00", 14205u, 0u, VM_PERSON, 0},     /* 2 d */
    {"048/01", 13126u, 0u, VM_PERSON, 0},     /* 5 d */
    {"054/01", 11290u, 0u, VM_NONE, 0},       /* 10 d */
    {"059/11", 11290u, 0u, VM_PERSON, 0},     /* 10 d */
    {"092/61", 11043u, 0u, VM_NONE, 0},       /* 2 d proactive */
    {"003/01", 11012u, 8205u, VM_PERSON, 0},  /* 10 d */
    {"126/00", 9845u, 0u, VM_PERSON, 0},      /* 5 d */
    {"034/01", 9308u, 0u, VM_PERSON, 1},      /* 365 d */
    {"008/66", 9277u, 8205u, VM_PERSON, 0},   /* 10 d */
    {"008/55", 9277u, 8205u, VM_PERSON, 0},   /* 10 d */
    {"008/77", 9177u, 65536u, VM_PERSON, 1},  /* 547.5 d */
    {"008/01", 7726u, 8205u, VM_PERSON, 0},   /* 20 d */
    {"040/00", 6651u, 0u, VM_PERSON, 0},      /* 2 d */
    {"066/01", 6323u, 0u, VM_HALF, 0},        /* 7.5 d */
    {"008/65", 6185u, 8205u, VM_PERSON, 0},   /* 10 d */
    {"195/12", 6185u, 8205u, VM_PERSON, 0},   /* 10 d */
    {"104/23", 5506u, 8205u, VM_PERSON, 0},   /* 1 d */
    {"008/57", 5506u, 8205u, VM_PERSON, 0},   /* 2 d */
    {"011/03", 5506u, 8205u, VM_PERSON, 0},   /* 10 d */
    {"130/01", 5250u, 0u, VM_PERSON, 0},      /* 5 d */
    {"033/00", 4516u, 0u, VM_NONE, 0},        /* 10 d proactive */
    {"056/02", 4173u, 8205u, VM_PERSON, 0},   /* 5 d */
    {"068/25", 3952u, 0u, VM_HALF, 0},        /* 7.5 d */
    {"058/00", 3949u, 8205u, VM_PERSON, 0},   /* 2 d */
    {"092/49", 3758u, 0u, VM_NONE, 0},        /* 5 d proactive */
    {"092/50", 3681u, 0u, VM_NONE, 0},        /* 3 d proactive */
    {"066/39", 3557u, 0u, VM_HALF, 0},        /* 10 d */
    {"041/00", 3326u, 0u, VM_PERSON, 0},      /* 2 d */
    {"005/01", 3219u, 8205u, VM_PERSON, 1},   /* 1460 d */
    {"008/29", 3092u, 8205u, VM_PERSON, 0},   /* 10 d */
    {"008/71", 3092u, 8205u, VM_PERSON, 0},   /* 10 d */
    {"008/21", 2575u, 8205u, VM_PERSON, 0},   /* 10 d */
    {"035/00", 2494u, 0u, VM_PERSON, 0},      /* 2 d */
    {"008/32", 2258u, 0u, VM_PERSON, 0},      /* 10 d */
    {"054/02", 2258u, 0u, VM_NONE, 0},        /* 10 d */
    {"131/01", 1969u, 0u, VM_PERSON, 0},      /* 5 d */
    {"008/59", 1931u, 8205u, VM_PERSON, 0},   /* 10 d */
    {"092/81", 1879u, 0u, VM_NONE, 0},        /* 5 d proactive */
    {"092/21", 1879u, 0u, VM_NONE, 0},        /* 5 d proactive */
    {"043/00", 1663u, 0u, VM_PERSON, 0},      /* 2 d */
    {"049/12", 1663u, 0u, VM_PERSON, 0},      /* 2 d */
    {"037/02", 1313u, 0u, VM_PERSON, 0},      /* 5 d */
    {"045/11", 1313u, 0u, VM_PERSON, 0},      /* 5 d */
    {"008/20", 1288u, 8205u, VM_PERSON, 0},   /* 10 d */
    {"036/03", 1285u, 8205u, VM_PERSON, 0},   /* 10 d */
    {"056/01", 1043u, 8205u, VM_PERSON, 1},   /* 365 d */
    {"057/00", 987u, 8205u, VM_PERSON, 1},    /* 365 d */
    {"092/70", 940u, 0u, VM_NONE, 0},         /* 5 d proactive */
    {"036/01", 918u, 8205u, VM_PERSON, 0},    /* 10 d */
    {"047/00", 831u, 0u, VM_PERSON, 0},       /* 2 d */
    {"065/00", 790u, 0u, VM_HALF, 1},         /* 730 d */
    {"066/22", 790u, 0u, VM_HALF, 0},         /* 7.5 d */
    {"092/54", 736u, 0u, VM_NONE, 0},         /* 3 d proactive */
    {"092/51", 736u, 0u, VM_NONE, 0},         /* 3 d proactive */
    {"130/02", 656u, 0u, VM_PERSON, 0},       /* 5 d */
    {"130/03", 656u, 0u, VM_PERSON, 0},       /* 5 d */
    {"092/53", 552u, 0u, VM_NONE, 0},         /* 3 d proactive */
    {"093/72", 552u, 0u, VM_NONE, 0},         /* 3 d proactive */
    {"105/04", 551u, 8205u, VM_PERSON, 0},    /* 1 d */
    {"008/56", 464u, 8205u, VM_PERSON, 0},    /* 10 d */
    {"066/21", 395u, 0u, VM_HALF, 0},         /* 7.5 d */
    {"002/00", 386u, 0u, VM_PERSON, 1},       /* 4380 d */
    {"092/65", 368u, 0u, VM_NONE, 0},         /* 3 d proactive */
    {"092/69", 368u, 0u, VM_NONE, 0},         /* 3 d proactive */
    {"013/01", 367u, 8205u, VM_PERSON, 0},    /* 10 d */
    {"008/02", 258u, 8205u, VM_PERSON, 0},    /* 20 d */
    {"093/44", 188u, 0u, VM_NONE, 0},         /* 5 d proactive */
    {"092/60", 184u, 0u, VM_NONE, 0},         /* 3 d proactive */
    {"092/62", 184u, 0u, VM_NONE, 0},         /* 2 d proactive */
    {"036/06", 184u, 8205u, VM_PERSON, 0},    /* 10 d */
    {"036/07", 184u, 8205u, VM_PERSON, 0},    /* 10 d */
    {"036/08", 184u, 8205u, VM_PERSON, 0},    /* 10 d */
    {"001/01", 119u, 0u, VM_PERSON, 1},       /* 5475 d */
    {"092/31", 94u, 0u, VM_NONE, 0},          /* 5 d proactive */
    {"093/19", 94u, 0u, VM_NONE, 0},          /* 5 d proactive */
    {"093/21", 94u, 0u, VM_NONE, 0},          /* 5 d proactive */
    {"092/25", 94u, 0u, VM_NONE, 0},          /* 5 d proactive */
    {"092/29", 94u, 0u, VM_NONE, 0},          /* 5 d proactive */
    {"093/40", 92u, 0u, VM_NONE, 0},          /* 3 d proactive */
    {"093/30", 92u, 0u, VM_NONE, 0},          /* 3 d proactive */
};
/* expected non-proactive harm per crime 20.87 days; share from high-harm codes
 * 0.804 */
/* letter_codes: 118 codes; DA probability for eligible codes 0.1700 */
static const code_row letter_codes[] = {
    {"105A", 123964u, 11141u, VM_PERSON, 0}, /* 1 d */
    {"46", 112819u, 0u, VM_SHOP, 0},         /* 1 d */
    {"8N", 92293u, 11141u, VM_PERSON, 0},    /* 10 d */
    {"9A", 59501u, 0u, VM_HALF, 0},          /* 7.5 d */
    {"8R", 52137u, 11141u, VM_PERSON, 0},    /* 2 d */
    {"8L", 46344u, 11141u, VM_PERSON, 0},    /* 2 d */
    {"49", 45773u, 0u, VM_PERSON, 0},        /* 2 d */
    {"58C", 32512u, 11141u, VM_PERSON, 0},   /* 2 d */
    {"45", 30563u, 0u, VM_PERSON, 0},        /* 5 d */
    {"44", 27751u, 0u, VM_PERSON, 0},        /* 2 d */
    {"58D", 26009u, 11141u, VM_PERSON, 0},   /* 2 d */
    {"28E", 25067u, 0u, VM_PERSON, 1},       /* 273.5 d */
    {"58A", 23223u, 11141u, VM_PERSON, 0},   /* 2 d */
    {"49A", 16645u, 0u, VM_PERSON, 0},       /* 2 d */
    {"48", 15281u, 0u, VM_PERSON, 0},        /* 5 d */
    {"8Q", 13903u, 11141u, VM_PERSON, 0},    /* 10 d */
    {"39", 13366u, 0u, VM_PERSON, 0},        /* 2 d */
    {"104", 12396u, 11141u, VM_PERSON, 0},   /* 1 d */
    {"92E", 12244u, 0u, VM_NONE, 0},         /* 2 d proactive */
    {"126", 12225u, 0u, VM_PERSON, 0},       /* 5 d */
    {"30C", 11806u, 0u, VM_PERSON, 1},       /* 183.5 d */
    {"20A", 10474u, 11141u, VM_PERSON, 1},   /* 182.25 d */
    {"3B", 9297u, 11141u, VM_PERSON, 0},     /* 10 d */
    {"58B", 9289u, 11141u, VM_PERSON, 0},    /* 2 d */
    {"92A", 8575u, 0u, VM_NONE, 0},          /* 5 d proactive */
    {"19C", 8301u, 11141u, VM_PERSON, 1},    /* 1825 d */
    {"66", 8181u, 0u, VM_HALF, 0},           /* 7.5 d */
    {"10D", 8139u, 0u, VM_NONE, 0},          /* 273.75 d proactive */
    {"34B", 7029u, 0u, VM_PERSON, 1},        /* 365 d */
    {"40", 6658u, 0u, VM_PERSON, 0},         /* 2 d */
    {"802", 6120u, 0u, VM_NONE, 0},          /* 10 d */
    {"9B", 5950u, 0u, VM_HALF, 0},           /* 7.5 d */
    {"88E", 5237u, 11141u, VM_PERSON, 1},    /* 182.25 d */
    {"10C", 5179u, 0u, VM_NONE, 0},          /* 273.75 d proactive */
    {"92D", 4723u, 0u, VM_NONE, 0},          /* 3 d proactive */
    {"105B", 4649u, 11141u, VM_PERSON, 0},   /* 2 d */
    {"54", 4590u, 0u, VM_NONE, 0},           /* 10 d */
    {"28F", 4011u, 0u, VM_PERSON, 1},        /* 273.5 d */
    {"56B", 3927u, 11141u, VM_PERSON, 0},    /* 5 d */
    {"11A", 3874u, 11141u, VM_PERSON, 0},    /* 10 d */
    {"59", 3672u, 0u, VM_PERSON, 0},         /* 10 d */
    {"8M", 3476u, 11141u, VM_PERSON, 0},     /* 10 d */
    {"41", 3329u, 0u, VM_PERSON, 0},         /* 2 d */
    {"5D", 3146u, 11141u, VM_PERSON, 1},     /* 1460 d */
    {"33", 3060u, 0u, VM_NONE, 0},           /* 10 d proactive */
    {"22B", 2618u, 11141u, VM_PERSON, 1},    /* 182.25 d */
    {"35", 2497u, 0u, VM_PERSON, 0},         /* 2 d */
    {"86", 2448u, 0u, VM_NONE, 0},           /* 10 d */
    {"30D", 2214u, 0u, VM_PERSON, 1},        /* 183.5 d */
    {"8S", 2098u, 11141u, VM_PERSON, 0},     /* 10 d */
    {"19D", 2075u, 11141u, VM_PERSON, 1},    /* 2555 d */
    {"58J", 1858u, 11141u, VM_PERSON, 0},    /* 2 d */
    {"37.2", 1834u, 0u, VM_PERSON, 0},       /* 5 d */
    {"34A", 1729u, 0u, VM_PERSON, 1},        /* 365 d */
    {"43", 1664u, 0u, VM_PERSON, 0},         /* 2 d */
    {"8P", 1573u, 11141u, VM_PERSON, 0},     /* 10 d */
    {"20B", 1571u, 11141u, VM_PERSON, 1},    /* 182.25 d */
    {"83", 1530u, 0u, VM_NONE, 0},           /* 10 d */
    {"99", 1530u, 0u, VM_NONE, 0},           /* 10 d */
    {"79", 1530u, 0u, VM_PERSON, 0},         /* 10 d */
    {"88C", 1309u, 11141u, VM_PERSON, 1},    /* 182.25 d */
    {"19E", 1107u, 11141u, VM_PERSON, 1},    /* 2920 d */
    {"17A", 1047u, 11141u, VM_PERSON, 1},    /* 182.25 d */
    {"21", 1047u, 11141u, VM_PERSON, 1},     /* 182.25 d */
    {"56A", 982u, 11141u, VM_PERSON, 1},     /* 365 d */
    {"38", 918u, 0u, VM_NONE, 0},            /* 10 d */
    {"33A", 918u, 0u, VM_NONE, 0},           /* 10 d */
    {"47", 832u, 0u, VM_PERSON, 0},          /* 2 d */
    {"42", 832u, 0u, VM_PERSON, 0},          /* 2 d */
    {"19F", 830u, 11141u, VM_PERSON, 1},     /* 1825 d */
    {"19G", 830u, 11141u, VM_PERSON, 1},     /* 2555 d */
    {"88A", 786u, 11141u, VM_PERSON, 1},     /* 182.25 d */
    {"36", 775u, 11141u, VM_PERSON, 0},      /* 10 d */
    {"62A", 744u, 0u, VM_HALF, 1},           /* 730 d */
    {"19H", 692u, 11141u, VM_PERSON, 1},     /* 2920 d */
    {"61", 612u, 0u, VM_NONE, 0},            /* 10 d */
    {"61A", 612u, 0u, VM_NONE, 0},           /* 10 d */
    {"69", 612u, 0u, VM_NONE, 0},            /* 10 d */
    {"10B", 592u, 0u, VM_NONE, 0},           /* 1825 d proactive */
    {"92C", 525u, 0u, VM_NONE, 0},           /* 3 d proactive */
    {"5E", 524u, 11141u, VM_PERSON, 1},      /* 365 d */
    {"17B", 524u, 11141u, VM_PERSON, 1},     /* 182.25 d */
    {"71", 524u, 11141u, VM_PERSON, 1},      /* 182.25 d */
    {"22A", 524u, 11141u, VM_PERSON, 1},     /* 182.25 d */
    {"29A", 501u, 0u, VM_PERSON, 1},         /* 730 d */
    {"106", 465u, 11141u, VM_PERSON, 0},     /* 10 d */
    {"90", 444u, 0u, VM_NONE, 0},            /* 273.75 d proactive */
    {"28G", 334u, 0u, VM_PERSON, 1},         /* 273.5 d */
    {"2", 315u, 0u, VM_PERSON, 1},           /* 4380 d */
    {"13", 310u, 11141u, VM_PERSON, 0},      /* 10 d */
    {"80", 306u, 0u, VM_NONE, 0},            /* 10 d */
    {"96", 306u, 0u, VM_NONE, 0},            /* 10 d */
    {"95", 306u, 0u, VM_NONE, 0},            /* 10 d */
    {"81", 296u, 0u, VM_NONE, 0},            /* 273.75 d proactive */
    {"73", 262u, 11141u, VM_PERSON, 1},      /* 182.25 d */
    {"4.9", 174u, 0u, VM_PERSON, 1},         /* 365 d */
    {"28H", 167u, 0u, VM_PERSON, 1},         /* 273.5 d */
    {"27", 153u, 0u, VM_PERSON, 0},          /* 10 d */
    {"24", 153u, 0u, VM_PERSON, 0},          /* 10 d */
    {"814", 153u, 0u, VM_NONE, 0},           /* 10 d */
    {"10A", 148u, 0u, VM_NONE, 0},           /* 2190 d proactive */
    {"31A", 148u, 0u, VM_PERSON, 1},         /* 365 d */
    {"23", 131u, 11141u, VM_PERSON, 1},      /* 182.25 d */
    {"70", 131u, 11141u, VM_PERSON, 1},      /* 182.25 d */
    {"4.4", 130u, 0u, VM_PERSON, 1},         /* 365 d */
    {"60", 92u, 0u, VM_NONE, 0},             /* 10 d */
    {"1", 91u, 0u, VM_PERSON, 1},            /* 5475 d */
    {"4.8", 87u, 0u, VM_PERSON, 1},          /* 365 d */
    {"67", 61u, 0u, VM_PERSON, 0},           /* 10 d */
    {"76", 31u, 0u, VM_PERSON, 0},           /* 10 d */
    {"4.6", 22u, 0u, VM_PERSON, 1},          /* 365 d */
    {"37.1", 22u, 0u, VM_PERSON, 1},         /* 365 d */
    {"4.7", 21u, 11141u, VM_PERSON, 1},      /* 365 d */
    {"3A", 15u, 0u, VM_PERSON, 1},           /* 4380 d */
    {"15", 15u, 0u, VM_PERSON, 0},           /* 10 d */
    {"26", 15u, 0u, VM_PERSON, 0},           /* 10 d */
    {"4.3", 10u, 11141u, VM_PERSON, 1},      /* 365 d */
    {"4.1", 10u, 0u, VM_PERSON, 1},          /* 730 d */
};
/* expected non-proactive harm per crime 59.50 days; share from high-harm codes
 * 0.945 */

#define N_CLASS_CODES (sizeof class_codes / sizeof class_codes[0])
#define N_LETTER_CODES (sizeof letter_codes / sizeof letter_codes[0])

/* Districts with their mid-2022 populations in thousands (ONS estimates,
 * rounded), which set both where offenders live and where crimes happen. */
static const struct {
  const char *area;
  const char *district;
  uint32_t weight;
} districts[] = {
    {"North", "Peterborough", 216},
    {"North", "Huntingdonshire", 182},
    {"North", "Fenland", 103},
    {"South", "Cambridge City", 146},
    {"South", "South Cambridgeshire", 163},
    {"South", "East Cambridgeshire", 90},
};
#define N_DISTRICTS 6u
#define PETERBOROUGH 0u

/* Seasonality: relative crime volume by month, Jan..Dec, out of 110 (a mild
 * summer peak; our estimate, not a measured profile). */
static const uint32_t month_weight[12] = {94,  90,  97,  99,  103, 106,
                                          110, 107, 101, 100, 97,  95};

/* ---- random numbers: xoshiro256** (Blackman & Vigna), seeded by splitmix64 */

typedef struct {
  uint64_t s[4];
} rng;

static uint64_t splitmix64(uint64_t *x) {
  uint64_t z = (*x += 0x9e3779b97f4a7c15u);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
  return z ^ (z >> 31);
}

static uint64_t mix64(uint64_t x) { return splitmix64(&x); }

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static uint64_t next64(rng *r) {
  uint64_t *s = r->s;
  uint64_t out = rotl(s[1] * 5, 7) * 9;
  uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return out;
}

static void rng_seed(rng *r, uint64_t seed) {
  for (int i = 0; i < 4; i++)
    r->s[i] = splitmix64(&seed);
}

static uint32_t next32(rng *r) { return (uint32_t)(next64(r) >> 32); }

/* Uniform in [0, n) for n < 2^32 by multiply-shift (Lemire, without the
 * rejection step: the bias is below 2^-32 * n and does not matter here). */
static uint32_t below(rng *r, uint32_t n) {
  return (uint32_t)(((uint64_t)next32(r) * n) >> 32);
}

/* True with probability p/65536. */
static int chance16(rng *r, uint32_t p) {
  return (uint32_t)(next64(r) >> 48) < p;
}

/* Rank in [0, m) with density falling as a power of rank: rank = m * u^k for
 * k = 2 or 3, computed in 32-bit fixed point so every platform agrees. */
static uint32_t power_rank(rng *r, uint32_t m, int k) {
  uint64_t u = next32(r);
  uint64_t t = (u * u) >> 32;
  if (k == 3)
    t = (t * u) >> 32;
  return (uint32_t)((t * m) >> 32);
}

/* As power_rank, but the law starts at rank HEAD_CUT_DIV-th of the way in:
 * ranks [0, L) of a range m + L are rejected. This bounds the busiest
 * offender at a few dozen crimes in three years instead of thousands. */
#define HEAD_CUT_DIV 127u
static uint32_t offender_rank(rng *r, uint32_t m, int k) {
  if (k == 0)
    return below(r, m);
  uint32_t l = m / HEAD_CUT_DIV + 1u;
  for (;;) {
    uint32_t x = power_rank(r, m + l, k);
    if (x >= l)
      return x - l;
  }
}

/* ---- calendar (days since 1970-01-01; Howard Hinnant's algorithms) ------ */

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  unsigned yoe = (unsigned)(y - era * 400);
  unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int *y, unsigned *m, unsigned *d) {
  z += 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  unsigned doe = (unsigned)(z - era * 146097);
  unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t yy = (int64_t)yoe + era * 400;
  unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = (int)(yy + (*m <= 2));
}

static unsigned days_in_month(int y, unsigned m) {
  static const unsigned dm[12] = {31, 28, 31, 30, 31, 30,
                                  31, 31, 30, 31, 30, 31};
  int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : dm[m - 1];
}

/* ---- output buffer ----------------------------------------------------- */

#define OUT_CAP (1u << 20)

typedef struct {
  FILE *f;
  char *buf;
  size_t len;
  int failed;
} out_buf;

static void out_flush(out_buf *o) {
  if (o->len && fwrite(o->buf, 1, o->len, o->f) != o->len)
    o->failed = 1;
  o->len = 0;
}

static void put_str(out_buf *o, const char *s) {
  size_t n = strlen(s);
  memcpy(o->buf + o->len, s, n);
  o->len += n;
}

static void put_ch(out_buf *o, char c) { o->buf[o->len++] = c; }

/* Writes v in decimal, zero-padded to at least width digits. */
static void put_uint(out_buf *o, uint64_t v, int width) {
  char tmp[24];
  int n = 0;
  do {
    tmp[n++] = (char)('0' + (int)(v % 10));
    v /= 10;
  } while (v);
  while (n < width)
    tmp[n++] = '0';
  while (n)
    o->buf[o->len++] = tmp[--n];
}

/* ---- options ----------------------------------------------------------- */

typedef struct {
  uint64_t rows; /* data rows to write, required */
  uint64_t seed; /* default 20261123 */
  int end_y;     /* last date, default 2026-10-31 */
  unsigned end_m, end_d;
  unsigned years;  /* default 3 */
  int letter;      /* 0 = NNN/NN class codes (default), 1 = letter codes */
  int crlf;        /* 1 = CRLF line ends */
  const char *out; /* "-" = stdout */
  int core;        /* 1 = only the seven DESIGN.md §3 columns (no district,
                      status); same offences, same random stream */
  int overlap;     /* 1 = victims and offenders share one id space: about
                      a fifth of the people an offender rank stands for
                      are victims under their offender id (the victim-
                      offender overlap, issue 13); 0 = victims are V ids */
  int places;      /* 1 = add place,place_type columns (drawn from a hash
                      of the crime, so the offences are unchanged) */
} gen_opts;

static void usage(FILE *f) {
  fputs("usage: harmrank-gen --rows N [--seed S] [--end YYYY-MM-DD] "
        "[--years Y]\n"
        "                    [--codes class|letter] [--columns all|core] "
        "[--crlf] [--overlap] [--places]\n"
        "                    [-o FILE|-]\n"
        "Writes a synthetic offences CSV (deterministic for a given seed).\n"
        "--columns core writes only offence_id,offender_id,offence_code,\n"
        "offence_date,victim_id,domestic,area (the same offences as 'all',\n"
        "without the district and status columns and their quoted fields).\n"
        "--places adds place,place_type: 4% of crimes have no place, 3% sit\n"
        "at one overused default (a police station), 18% at premises\n"
        "(hotel, pub, takeaway, taxi; a few carry most of them), the rest\n"
        "at residential addresses.\n"
        "Defaults: --seed 20261123 --end 2026-10-31 --years 3 --codes class "
        "--columns all -o -\n",
        f);
}

static int parse_u64(const char *s, uint64_t *v) {
  char *end;
  if (!s || !*s || *s == '-')
    return 0;
  errno = 0;
  unsigned long long x = strtoull(s, &end, 10);
  if (errno || *end)
    return 0;
  *v = (uint64_t)x;
  return 1;
}

static int parse_date(const char *s, int *y, unsigned *m, unsigned *d) {
  unsigned yy, mm, dd;
  char tail;
  if (!s || sscanf(s, "%4u-%2u-%2u%c", &yy, &mm, &dd, &tail) != 3)
    return 0;
  if (yy < 1900 || yy > 9999 || mm < 1 || mm > 12 || dd < 1 ||
      dd > days_in_month((int)yy, mm))
    return 0;
  *y = (int)yy;
  *m = mm;
  *d = dd;
  return 1;
}

static int parse_args(int argc, char **argv, gen_opts *o) {
  int have_rows = 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    uint64_t x;
    if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
      usage(stdout);
      exit(0);
    } else if (!strcmp(a, "--crlf")) {
      o->crlf = 1;
      continue;
    } else if (!strcmp(a, "--overlap")) {
      o->overlap = 1;
      continue;
    } else if (!strcmp(a, "--places")) {
      o->places = 1;
      continue;
    } else if (!v) {
      fprintf(stderr, "harmrank-gen: %s needs a value\n", a);
      return 0;
    } else if (!strcmp(a, "--rows")) {
      if (!parse_u64(v, &o->rows) || o->rows == 0) {
        fprintf(stderr, "harmrank-gen: bad --rows \"%s\"\n", v);
        return 0;
      }
      have_rows = 1;
    } else if (!strcmp(a, "--seed")) {
      if (!parse_u64(v, &o->seed)) {
        fprintf(stderr, "harmrank-gen: bad --seed \"%s\"\n", v);
        return 0;
      }
    } else if (!strcmp(a, "--end")) {
      if (!parse_date(v, &o->end_y, &o->end_m, &o->end_d)) {
        fprintf(stderr, "harmrank-gen: bad --end \"%s\" (YYYY-MM-DD)\n", v);
        return 0;
      }
    } else if (!strcmp(a, "--years")) {
      if (!parse_u64(v, &x) || x < 1 || x > 50) {
        fprintf(stderr, "harmrank-gen: bad --years \"%s\" (1-50)\n", v);
        return 0;
      }
      o->years = (unsigned)x;
    } else if (!strcmp(a, "--codes")) {
      if (!strcmp(v, "class"))
        o->letter = 0;
      else if (!strcmp(v, "letter"))
        o->letter = 1;
      else {
        fprintf(stderr, "harmrank-gen: bad --codes \"%s\" (class|letter)\n", v);
        return 0;
      }
    } else if (!strcmp(a, "--columns")) {
      if (!strcmp(v, "all"))
        o->core = 0;
      else if (!strcmp(v, "core"))
        o->core = 1;
      else {
        fprintf(stderr, "harmrank-gen: bad --columns \"%s\" (all|core)\n", v);
        return 0;
      }
    } else if (!strcmp(a, "-o") || !strcmp(a, "--output")) {
      o->out = v;
    } else {
      fprintf(stderr, "harmrank-gen: unknown option \"%s\"\n", a);
      return 0;
    }
    i++;
  }
  if (!have_rows) {
    fputs("harmrank-gen: --rows is required\n", stderr);
    return 0;
  }
  /* Rows beyond 2^32 would overflow the 32-bit offender and victim ranks. */
  if (o->rows > 4000000000u) {
    fputs("harmrank-gen: --rows is limited to 4e9\n", stderr);
    return 0;
  }
  return 1;
}

/* ---- the population ---------------------------------------------------- */

/* Calibration knobs (see the measured figures at the top of the file).
 * OFFENDER_DIV: data rows per offender rank; about 80% of ranks are ever
 * drawn, so distinct offenders come out near rows / 4.5. Pool shares are of
 * all ranks: general offenders (the rest), DA perpetrators, high-harm
 * specialists and occasional offenders. */
#define OFFENDER_DIV 3.6
#define POOL_DA_PCT 12u
#define POOL_SPEC_PCT 4u
#define POOL_OCC_PCT 45u
/* Share (percent) of general-type crimes that go to an occasional offender,
 * drawn uniformly, so most occasional offenders appear once or twice. */
#define OCC_CRIME_PCT 14u

/* High-harm domestic crimes go to the first 1/DA_FEW_DIV of the DA pool. */
#define DA_FEW_DIV 8u

enum { POOL_GENERAL, POOL_DA, POOL_SPEC, POOL_OCC, N_POOLS };

typedef struct {
  uint32_t start[N_POOLS], size[N_POOLS];
  uint32_t n;        /* all ranks */
  uint64_t perm_mul; /* coprime with n: printed number = rank*mul+off mod n */
  uint64_t salt;
} population;

static void population_init(population *p, uint64_t rows, uint64_t seed) {
  uint64_t n = rows * 10 / (uint64_t)(OFFENDER_DIV * 10);
  if (n < 100)
    n = 100;
  p->n = (uint32_t)n;
  p->size[POOL_DA] = (uint32_t)(n * POOL_DA_PCT / 100);
  p->size[POOL_SPEC] = (uint32_t)(n * POOL_SPEC_PCT / 100);
  p->size[POOL_OCC] = (uint32_t)(n * POOL_OCC_PCT / 100);
  p->size[POOL_GENERAL] =
      p->n - p->size[POOL_DA] - p->size[POOL_SPEC] - p->size[POOL_OCC];
  p->start[POOL_GENERAL] = 0;
  for (int i = 1; i < N_POOLS; i++)
    p->start[i] = p->start[i - 1] + p->size[i - 1];
  /* Primes: whichever does not divide n is coprime with it. */
  static const uint64_t primes[] = {2654435761u, 2246822519u, 3266489917u};
  p->perm_mul = primes[0];
  for (size_t i = 0; i < 3; i++)
    if (n % primes[i]) {
      p->perm_mul = primes[i];
      break;
    }
  p->salt = mix64(seed ^ 0x6f6666656e646572u);
}

static uint32_t printed_offender(const population *p, uint32_t rank) {
  return (uint32_t)(((uint64_t)rank * p->perm_mul + 7919u) % p->n) + 1u;
}

static uint32_t pick_district(uint32_t r /* in [0, 900) */) {
  uint32_t acc = 0;
  for (uint32_t i = 0; i < N_DISTRICTS; i++) {
    acc += districts[i].weight;
    if (r < acc)
      return i;
  }
  return N_DISTRICTS - 1;
}

static uint32_t home_district(const population *p, uint32_t rank) {
  uint64_t h = mix64(p->salt ^ ((uint64_t)rank << 2));
  return pick_district((uint32_t)((h >> 32) % 900u));
}

/* ---- the generator ----------------------------------------------------- */

static const char *const statuses[] = {"suspect", "charged", "convicted",
                                       "no further action"};

static uint32_t pick_status(rng *r) {
  uint32_t x = below(r, 100);
  return x < 50 ? 0u : x < 78 ? 1u : x < 88 ? 2u : 3u;
}

static const char *const bad_dates[] = {"2025-02-30", "2024-13-01",
                                        "2026-04-31"};

static int generate(const gen_opts *o, FILE *f) {
  const code_row *codes = o->letter ? letter_codes : class_codes;
  size_t n_codes = o->letter ? N_LETTER_CODES : N_CLASS_CODES;
  const char *const unknown[2] = {"999/99", "ZZ1"};
  const char *eol = o->crlf ? "\r\n" : "\n";

  uint32_t *cum = malloc(n_codes * sizeof *cum);
  /* Date range: the years ending --end, e.g. 2023-11-01..2026-10-31. */
  int sy = o->end_y - (int)o->years;
  unsigned sm = o->end_m, sd = o->end_d;
  if (sd > days_in_month(sy, sm))
    sd = days_in_month(sy, sm);
  int64_t d0 = days_from_civil(sy, sm, sd) + 1;
  int64_t d1 = days_from_civil(o->end_y, o->end_m, o->end_d);
  uint32_t n_days = (uint32_t)(d1 - d0 + 1);
  char(*date_str)[11] = malloc(n_days * sizeof *date_str);
  unsigned char *date_month = malloc(n_days);
  uint16_t *date_year = malloc(n_days * sizeof *date_year);
  out_buf ob = {f, malloc(OUT_CAP + 4096), 0, 0};
  if (!cum || !date_str || !date_month || !date_year || !ob.buf) {
    fputs("harmrank-gen: out of memory\n", stderr);
    free(cum), free(date_str), free(date_month), free(date_year), free(ob.buf);
    return 0;
  }
  uint32_t acc = 0;
  for (size_t i = 0; i < n_codes; i++)
    cum[i] = acc += codes[i].weight;
  for (uint32_t i = 0; i < n_days; i++) {
    int y;
    unsigned m, d;
    civil_from_days(d0 + i, &y, &m, &d);
    char *ds = date_str[i];
    unsigned uy = (unsigned)y % 10000u;
    ds[0] = (char)('0' + uy / 1000), ds[1] = (char)('0' + uy / 100 % 10);
    ds[2] = (char)('0' + uy / 10 % 10), ds[3] = (char)('0' + uy % 10);
    ds[4] = '-', ds[5] = (char)('0' + m / 10), ds[6] = (char)('0' + m % 10);
    ds[7] = '-', ds[8] = (char)('0' + d / 10), ds[9] = (char)('0' + d % 10);
    ds[10] = '\0';
    date_month[i] = (unsigned char)(m - 1);
    date_year[i] = (uint16_t)y;
  }

  rng r;
  rng_seed(&r, o->seed);
  population pop;
  population_init(&pop, o->rows, o->seed);
  /* Victim numbers: people, then a block of shops and businesses. */
  uint32_t n_people = (uint32_t)(o->rows * 9 / 10 + 100);
  uint32_t n_shops = (uint32_t)(o->rows / 200 + 50);
  int id_width = o->rows > 9000000u ? 9 : 7;

  put_str(&ob, "offence_id,offender_id,offence_code,offence_date,victim_id,"
               "domestic,area");
  if (!o->core)
    put_str(&ob, ",district,status");
  if (o->places)
    put_str(&ob, ",place,place_type");
  put_str(&ob, eol);
  uint32_t n_premises = (uint32_t)(o->rows / 400 + 20);
  uint32_t n_homes = (uint32_t)(o->rows / 3 + 100);
  static const char *const premises_type[4] = {"hotel", "pub", "takeaway",
                                               "taxi"};

  uint64_t written = 0, crime = 0;
  while (written < o->rows) {
    crime++;
    /* The offence. */
    uint32_t x = below(&r, acc), lo = 0, hi = (uint32_t)n_codes - 1;
    while (lo < hi) {
      uint32_t mid = (lo + hi) / 2;
      if (x < cum[mid])
        hi = mid;
      else
        lo = mid + 1;
    }
    const code_row *c = &codes[lo];
    int domestic = c->da && chance16(&r, c->da);
    uint32_t day;
    do
      day = below(&r, n_days);
    while (below(&r, 110) >= month_weight[date_month[day]]);

    /* Who did it: DA crimes mostly go to the DA pool, high-harm crimes
     * mostly to specialists, the rest mostly to general offenders. */
    int pool;
    uint32_t pr = below(&r, 100);
    if (domestic)
      pool = pr < 92 ? POOL_DA : POOL_GENERAL;
    else if (c->high)
      pool = pr < 60 ? POOL_SPEC : POOL_GENERAL;
    else
      pool = pr < 3 ? POOL_DA : pr < 11 ? POOL_SPEC : POOL_GENERAL;
    if (pool == POOL_GENERAL && below(&r, 100) < OCC_CRIME_PCT)
      pool = POOL_OCC;
    int skew = pool == POOL_GENERAL ? 3 : pool == POOL_OCC ? 0 : 2;
    /* High-harm DA crimes (strangulation, s18, ...) come from the busiest
     * eighth of the DA pool: the "power few" of partner abuse, where 3% of
     * perpetrators held 90% of harm (Thames Valley, Barnham et al. 2017). */
    uint32_t span = pool == POOL_DA && c->high
                        ? pop.size[pool] / DA_FEW_DIV + 1u
                        : pop.size[pool];
    uint32_t rank = pop.start[pool] + offender_rank(&r, span, skew);
    uint32_t n_off = 1;
    if (!domestic && below(&r, 1000) < 42)
      n_off = below(&r, 4) ? 2u : 3u;

    /* Against whom, and where. */
    int has_victim = 1;
    uint32_t victim = 0;
    switch (c->vm) {
    case VM_NONE:
      has_victim = 0;
      break;
    case VM_HALF:
      has_victim = (int)below(&r, 2);
      victim = below(&r, n_people);
      break;
    case VM_SHOP:
      victim = n_people + power_rank(&r, n_shops, 2);
      break;
    default:
      if (domestic) {
        /* A DA perpetrator's victims are a function of the perpetrator:
         * mostly the first, sometimes a second or third. */
        uint32_t j = below(&r, 100);
        j = j < 75 ? 0u : j < 95 ? 1u : 2u;
        victim = (uint32_t)(mix64(pop.salt ^ ((uint64_t)rank << 2 | j) ^
                                  0x76696374u) %
                            n_people);
      } else {
        victim = below(&r, n_people);
      }
    }
    uint32_t dist = below(&r, 100) < 85 ? home_district(&pop, rank)
                                        : pick_district(below(&r, 900));

    for (uint32_t k = 0; k < n_off && written < o->rows; k++) {
      uint32_t who =
          k == 0 ? rank
                 : pop.start[pool] + offender_rank(&r, pop.size[pool], skew);
      uint32_t odd = below(&r, 1000000);
      int dup = below(&r, 1000) < 3;
      size_t row_start = ob.len;

      put_str(&ob, "CR/");
      put_uint(&ob, date_year[day], 4);
      put_ch(&ob, '/');
      put_uint(&ob, crime, id_width);
      put_ch(&ob, ',');
      if (!(odd >= 12500 && odd < 13000)) { /* 0.05%: offender missing */
        put_ch(&ob, 'N');
        put_uint(&ob, printed_offender(&pop, who), 7);
      }
      put_ch(&ob, ',');
      put_str(&ob, odd >= 9000 && odd < 12000 ? unknown[odd & 1] : c->code);
      put_ch(&ob, ',');
      put_str(&ob,
              odd >= 12000 && odd < 12500 ? bad_dates[odd % 3] : date_str[day]);
      put_ch(&ob, ',');
      if (has_victim) {
        /* --overlap: victim v is the offender of rank v (an N id) for 20%
         * of the ranks, chosen by a hash. printed_offender is one-to-one
         * and N and V ids never meet, so each offender's distinct victims
         * (and every score) are those of the run without it. About 13% of
         * offenders are then victims and 5% of victims offenders, near
         * the Peel study's 10% and 6% (shared/research/round2-findings.md
         * A1). */
        if (o->overlap && victim < pop.n &&
            mix64(pop.salt ^ 0x6f7665726c6170u ^ victim) % 1000 < 200) {
          put_ch(&ob, 'N');
          put_uint(&ob, printed_offender(&pop, victim), 7);
        } else {
          put_ch(&ob, 'V');
          put_uint(&ob, victim + 1u, 7);
        }
      }
      put_str(&ob, domestic ? ",Y," : ",N,");
      put_str(&ob, districts[dist].area);
      /* The status draw below is made in both modes, so --columns core
       * writes the same offences as the full output. */
      const char *status = NULL;
      if (odd < 3000 && dist != PETERBOROUGH)
        status = "\"charged, bailed\"";
      else if (odd >= 3000 && odd < 6000)
        status = "\"suspect (\"\"no comment\"\" interview)\"";
      else if (odd >= 6000 && odd < 9000)
        status = "\"charged\nremanded in custody\"";
      else
        status = statuses[pick_status(&r)];
      if (!o->core) {
        put_ch(&ob, ',');
        if (odd < 3000 && dist == PETERBOROUGH)
          put_str(&ob, "\"Peterborough, City\"");
        else
          put_str(&ob, districts[dist].district);
        put_ch(&ob, ',');
        put_str(&ob, status);
      }
      if (o->places) {
        /* One place per crime, from a hash of it: the main random stream
         * (and so every other column) is the same with or without it. */
        uint64_t h = mix64(crime * 0x9e3779b97f4a7c15u ^ o->seed);
        uint32_t u = (uint32_t)(h % 1000);
        if (u < 40) {
          put_str(&ob, ",,");
        } else if (u < 70) {
          put_str(&ob, ",Parkside Police Station,police station");
        } else if (u < 250) {
          /* Power few of premises: rank = n * x^2 with x uniform. */
          double xu = (double)((h >> 12) & 0xfffff) / 1048576.0;
          uint32_t pk = (uint32_t)((double)n_premises * xu * xu);
          put_str(&ob, ",PREM-");
          put_uint(&ob, pk + 1u, 5);
          put_ch(&ob, ',');
          put_str(&ob, premises_type[pk % 4]);
        } else {
          put_str(&ob, ",RES-");
          put_uint(&ob, (h >> 16) % n_homes + 1u, 7);
          put_str(&ob, ",residential");
        }
      }
      put_str(&ob, eol);
      written++;
      if (dup && written < o->rows) { /* 0.3%: exact duplicate row */
        size_t n = ob.len - row_start;
        memcpy(ob.buf + ob.len, ob.buf + row_start, n);
        ob.len += n;
        written++;
      }
      if (ob.len >= OUT_CAP)
        out_flush(&ob);
    }
  }
  out_flush(&ob);
  int ok = !ob.failed && fflush(f) == 0 && !ferror(f);
  free(cum), free(date_str), free(date_month), free(date_year), free(ob.buf);
  return ok;
}

int main(int argc, char **argv) {
  gen_opts o = {.rows = 0,
                .seed = 20261123u,
                .end_y = 2026,
                .end_m = 10,
                .end_d = 31,
                .years = 3,
                .out = "-"};
  if (!parse_args(argc, argv, &o)) {
    usage(stderr);
    return 2;
  }
  FILE *f = stdout;
  if (strcmp(o.out, "-")) {
    f = fopen(o.out, "wb");
    if (!f) {
      fprintf(stderr, "harmrank-gen: %s: %s\n", o.out, strerror(errno));
      return 1;
    }
  }
  int ok = generate(&o, f);
  if (f != stdout && fclose(f) != 0)
    ok = 0;
  if (!ok) {
    fprintf(stderr, "harmrank-gen: write failed\n");
    return 1;
  }
  return 0;
}

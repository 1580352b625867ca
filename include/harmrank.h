/* SPDX-License-Identifier: GPL-3.0-or-later */
/* include/harmrank.h: the umbrella header. Clients include this only. */
#ifndef HARMRANK_H
#define HARMRANK_H

#include "harmrank/version.h"
#include "harmrank/status.h"
#include "harmrank/pseudonym.h"
#include "harmrank/ingest.h"
#include "harmrank/weights.h"
#include "harmrank/score.h"
#include "harmrank/rank.h"
#include "harmrank/people.h"
#include "harmrank/report.h"
#include "harmrank/config.h"
#include "harmrank/cohort.h"
#include "harmrank/analysis.h"
#include "harmrank/run.h"
#include "harmrank/oversight.h"
#include "harmrank/places.h"

#endif /* HARMRANK_H */

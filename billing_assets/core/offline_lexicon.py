"""Vocabulary of the offline classifier: abbreviations, stopwords, concepts and rush cues.

General professional-services vocabulary (consulting, creative, software, marketing, legal, accounting,
architecture, events, research, HR). Nothing here names a client, a person or a SOW id. A concept groups
words that a staff note and a SOW description may use for the same kind of work ("wordmark" and "logo");
a concept only matters for a client whose SOW text mentions one of its words.
"""

from __future__ import annotations


def word_set(text: str) -> frozenset[str]:
    """The whitespace-separated words of `text`."""
    return frozenset(text.split())


# Token -> expansion, applied case-insensitively before stemming.
ABBREVIATIONS: dict[str, str] = {
    "w": "with", "wo": "without", "thru": "through", "tho": "though", "bc": "because", "b/c": "because",
    "fwd": "forward", "wk": "week", "wks": "weeks", "wkly": "weekly", "wkend": "weekend", "mo": "month",
    "mos": "months",
    "yr": "year", "yrs": "years", "hr": "hour", "hrs": "hours", "min": "minutes", "mins": "minutes",
    "mtg": "meeting", "mtgs": "meetings", "mgr": "manager", "mgrs": "managers", "mgmt": "management",
    "ctr": "center", "ctrs": "centers", "cmte": "committee", "cttee": "committee", "comm": "committee",
    "steerco": "steering committee", "sc": "steering committee", "pkg": "package", "pkgs": "packages",
    "sub": "subscription", "subs": "subscriptions", "pdp": "product page", "pdps": "product pages",
    "plp": "product listing page", "pw": "password", "qa": "quality assurance testing",
    "uat": "user acceptance testing", "tmrw": "tomorrow", "tmw": "tomorrow", "tmr": "tomorrow",
    "tomo": "tomorrow", "2morrow": "tomorrow", "tonite": "tonight", "convo": "conversation",
    "convos": "conversations", "qs": "questions", "q's": "questions", "pts": "points", "doc": "document",
    "docs": "documents", "pres": "presentation", "prez": "presentation", "preso": "presentation",
    "rev": "revision", "revs": "revisions", "info": "information", "ops": "operations",
    "exec": "executive", "execs": "executives", "dir": "director", "dirs": "directors",
    "dept": "department", "depts": "departments", "org": "organization", "orgs": "organizations",
    "biz": "business", "acct": "account", "accts": "accounts", "req": "request", "reqs": "requirements",
    "specs": "specifications", "spec": "specification", "dev": "development", "devs": "developers",
    "prod": "production", "env": "environment", "repo": "repository", "config": "configuration",
    "deps": "dependencies", "impl": "implementation", "cal": "calendar", "appt": "appointment",
    "appts": "appointments", "sched": "scheduling", "ig": "instagram", "fb": "facebook",
    "yt": "youtube", "ugc": "user generated content", "cd": "creative director",
    "approx": "approximately", "asap": "as soon as possible", "eod": "end of day", "eow": "end of week",
    "fct": "fact", "fcts": "facts", "stg": "staging", "rego": "registration", "regos": "registrations",
    "accom": "accommodation",
    "ooo": "out of office", "fyi": "for your information", "govt": "government", "intl": "international",
    "mktg": "marketing", "comms": "communications", "msg": "message", "msgs": "messages",
    "mgmnt": "management", "pm": "project management", "ppt": "presentation", "xls": "spreadsheet",
    "xlsx": "spreadsheet", "fcst": "forecast", "fin": "finance", "hc": "headcount", "perf": "performance",
    "rec": "recommendation", "recs": "recommendations", "reco": "recommendation", "prep": "preparation",
    "prepped": "prepared", "eng": "engineering", "reqts": "requirements", "arch": "architecture",
    "approvals": "approvals", "realloc": "reallocation", "opt": "optimization", "optim": "optimization",
    "pt": "patient", "pts.": "patients", "sr": "senior", "jr": "junior", "mgrs.": "managers",
    "ty": "thank you", "pls": "please", "wip": "work in progress", "v1": "version", "v2": "version",
    "v3": "version", "r1": "round", "r2": "round", "re": "regarding",
}

# Abbreviations that only count in capitals (lower case they are names or ordinary words).
CASED_ABBREVIATIONS: dict[str, str] = {
    "TOM": "target operating model", "CTR": "click through rate", "CO": "change order",
    "COs": "change orders", "AP": "accounts payable", "AR": "accounts receivable", "PR": "public relations",
    "IT": "information technology", "HR": "human resources", "FAQ": "faq", "FAQs": "faqs",
    "ROI": "return on investment", "PO": "purchase order", "SOW": "statement of work",
    "DD": "due diligence", "CAD": "cad drawings", "ID": "identity", "UI": "user interface",
    "UX": "user experience", "OR": "oregon", "IN": "indiana", "ME": "maine", "OK": "oklahoma",
}

STOPWORDS: frozenset[str] = word_set("""
a about above after again against all am an and any are as at be because been before being below between
both but by can could did do does doing down during each few for from further had has have having he her
here hers herself him himself his how i if in into is it its itself just me more most my myself no nor
not now of off on once only or other our ours out over own same she should so some such than that the
their theirs them then there these they this those through to too under until up very was we were what
when where which while who whom why will with would you your yours also etc via per re vs got get gets
getting still went go going goes made make makes making did done put let lets ok okay new one two three
four five six seven eight nine ten x e.g i.e ie eg its it's i'm we're they're that's there's
""") | word_set("""
der die das den dem des ein eine einen einem einer und oder mit für fuer von vom zum zur im am auf aus bei
nach über ueber unter zu ist sind wird wurde werden nicht noch auch als wie bis durch gegen ohne
le la les un une des du de d l et ou avec pour par sur dans au aux en est sont pas ne que qui ce cette ces
el los las unos unas del y o con para por sobre en al es son no que se su sus lo e u según entre sin
il lo gli di da della con per su che non het een van voor met bij naar niet
o os um uma do da dos das com para por em no na nos nas ao
""")

# Words that say that work happened but not which work: a note made only of these is vague.
GENERIC_WORDS: frozenset[str] = word_set("""
call calls called calling meeting meetings meet met sync synced syncs catch catchup touch base follow
followup followups misc miscellaneous admin administrative edit edits edited editing tweak tweaks
tweaked change changes changed notes note review reviewed reviewing went back last week weeks weekly
today yesterday day days morning afternoon evening discussion discuss discussed discussing internal team
chat chatted email emails emailed work worked working stuff thing things update updates updated various
general time task tasks item items comments comment feedback numbers prep preparation prepared debrief
debriefed huddle talk talked talking spoke speak questions question answer answered reply replied check
checked checking looked look looking pass misc. continue continued continuing more some bits pieces
cleanup clean fixes monday tuesday wednesday thursday friday saturday sunday mon tue tues wed thu thur
thurs fri sat sun am pm design designs admin. ongoing support help helped hour hours quick brief short
long first final version round options option next steps step progress plan planning
""")

# Concept -> surface forms (words or short phrases). Forms are stemmed like any text before matching.
CONCEPTS: dict[str, tuple[str, ...]] = {
    # --- brand and identity
    "logo": ("logo", "logos", "wordmark", "logotype", "lettermark", "monogram", "lockup", "lockups",
             "brand mark", "emblem", "logo files", "logo package", "signage", "vinyl"),
    "identity": ("identity", "brand identity", "visual identity", "branding", "rebrand", "brand refresh",
                 "brand guidelines", "brand book", "brand standards", "guidelines", "identity directions"),
    "color": ("color", "colour", "palette", "pms", "pantone", "cmyk", "hex", "swatch", "swatches"),
    "typography": ("typography", "typeface", "font", "fonts", "kerning", "type pairing", "lettering",
                   "type system", "display face"),
    "creative_direction": ("moodboard", "moodboards", "mood board", "creative directions",
                           "design directions", "look and feel", "explorations", "exploration"),
    # --- packaging and print
    "packaging": ("packaging", "dieline", "dielines", "die line", "bag", "bags", "tin", "tins", "sleeve",
                  "carton", "cartons", "label", "labels", "pouch", "jar", "bottle", "can wrap", "wrap",
                  "sku", "skus", "print files", "print ready", "bleed", "varnish", "printer proof",
                  "printer proofs", "proof", "proofs", "press check", "printer", "lot code", "back of pack"),
    "print": ("print", "printing", "brochure", "flyer", "poster", "signage", "collateral", "printed"),
    # --- web design and development
    "wireframe": ("wireframe", "wireframes", "wires", "lo fi", "low fi", "low fidelity", "hi fi",
                  "high fidelity", "mockup", "mockups", "mock up", "comp", "comps", "prototype",
                  "prototypes", "figma", "sketch file", "sitemap", "site map",
                  "user experience", "user interface", "user flow", "ux", "ui", "information architecture",
                  "component library", "design system", "handoff", "dev mode", "redlines",
                  "visual design", "page designs", "walkthrough"),
    "webpage": ("navigation", "nav", "homepage", "home page", "landing page", "product page", "product pages",
                "collection page", "product listing page", "cart", "cart drawer", "checkout", "header",
                "footer", "locator", "about page", "website", "web", "site", "storefront", "store", "pages",
                "page"),
    "software": ("develop", "development", "developer", "code", "coding", "theme", "liquid", "javascript",
                 "css", "html", "plugin", "widget", "app", "github", "repository", "scaffold",
                 "metafields", "component", "components", "screen", "screens", "backend", "frontend",
                 "front end", "build", "pull request", "merge", "refactor", "unit test", "shopify",
                 "wordpress", "webflow", "embed", "template build", "staging theme", "lazy load",
                 "page speed", "image compression", "hotfix", "patch", "patched", "react", "ios", "sdk",
                 "bug fix", "bug fixes", "fixed bugs", "fix bugs"),
    "qa_testing": ("quality assurance testing", "qa", "testing", "test", "tests", "tested", "test plan",
                   "regression", "defect", "defects", "triage", "triaged", "bug", "bugs", "bug bash",
                   "cross device", "device", "devices", "iphone", "android", "safari", "chrome", "browser",
                   "user acceptance testing", "test cases", "test scripts"),
    "integration": ("api", "apis", "integration", "integrations", "interface", "interfaces", "migration",
                    "migrate", "migrated", "import", "imported", "export", "data migration", "edi",
                    "webhook", "webhooks", "sync", "etl", "mapping"),
    "release_ops": ("staging", "deploy", "deployment", "redirect", "redirects", "dns", "domain", "cutover",
                    "go live", "server", "hosting", "database", "release", "environment", "ci"),
    "subscription": ("subscription", "subscriptions", "subscriber", "subscribers", "recurring",
                     "customer portal", "skip", "pause"),
    "launch": ("launch", "go live", "golive", "live", "cutover", "release", "rollout", "post launch"),
    # --- copy and content
    "copywriting": ("copy", "copywriting", "copywriter", "write", "wrote", "writing", "written",
                    "rewrite", "rewrote", "words", "text", "headline", "headlines", "tagline", "blurb",
                    "blurbs", "descriptions", "proofread", "proofreading", "typo", "typos", "voice",
                    "tone", "messaging", "story", "narrative", "content", "article", "articles", "blog",
                    "caption", "captions", "microcopy", "faq", "faqs", "word limit", "word count",
                    "style guide"),
    "email_marketing": ("email sequence", "newsletter", "klaviyo", "mailchimp", "drip", "launch emails",
                        "email flow", "welcome series", "email campaign"),
    # --- advertising and social
    "advertising": ("ad", "ads", "advert", "advertising", "paid social", "paid media", "meta", "facebook",
                    "instagram", "tiktok", "linkedin ads", "google ads", "ppc", "sem", "cpm", "cpms", "cpa",
                    "cpc", "roas", "click through rate", "impressions", "audience", "audiences",
                    "lookalike", "lookalikes", "targeting", "retargeting", "prospecting", "interest stacks",
                    "ad set", "ad sets", "adset", "static ads", "statics", "video edits", "hooks", "hook",
                    "ad copy", "utm", "utms", "pixel", "conversions api", "capi", "ads manager", "flight",
                    "media spend", "spark ads", "user generated content", "influencer", "campaign build",
                    "teaser", "ad creative", "push", "losers", "budget reallocation"),
    "social_media": ("social", "social media", "organic social", "posts", "posting", "content calendar",
                     "community management", "reels", "stories"),
    # --- photo and video
    "photography": ("photo", "photos", "photography", "photographer", "photoshoot", "photo shoot", "shoot",
                    "shot list", "shots", "on set", "styling", "stylist", "props", "call sheet", "selects",
                    "retouch", "retouching", "retouched", "frames", "images", "hero images", "flatlay",
                    "flatlays", "portraits", "lighting", "location scout", "art direction", "raw files",
                    "styled"),
    "video": ("video", "videos", "filming", "footage", "rough cut", "storyboard", "animation",
              "motion graphics", "voiceover", "color grade", "b roll", "edit bay"),
    # --- account and project management
    "project_management": ("kickoff", "kick off", "status report", "status update", "status summary",
                           "weekly update", "update email", "check in", "checkin", "touch base", "timeline",
                           "workplan", "work plan", "project plan", "milestones", "milestone", "budget",
                           "burn", "burn report", "hours recap", "recap", "invoice", "invoicing", "billing",
                           "change order", "change orders", "scope change", "raid", "risk log", "risks",
                           "issues log", "asana", "jira", "trello", "smartsheet", "basecamp", "resourcing",
                           "staffing plan", "coordination", "standup", "stand up", "wrap up", "handover",
                           "retro", "retrospective", "statement of work", "approvals", "sign off",
                           "calendar", "runbook", "owners", "status memo", "status note",
                           "risks assumptions issues dependencies", "risks issues", "action items list"),
    # --- consulting
    "interviews": ("interview", "interviews", "interviewed", "stakeholder interviews", "site visit",
                   "site visits", "observation", "shadowed", "shadow", "ride along", "interview guide",
                   "conversations", "focus group", "listening session", "fieldwork", "themes",
                   "synthesis", "synthesize", "quotes", "theme matrix", "pain points", "discovery"),
    "data_analysis": ("data", "dataset", "extract", "extracts", "data request", "baseline", "kpi", "kpis",
                      "metrics", "benchmark", "benchmarks", "analysis", "analyses", "analytics",
                      "utilization", "volumes", "ratios", "fte", "payroll", "headcount", "trend",
                      "dashboard", "cohort", "regression", "statistics", "stats", "pivot", "sql",
                      "quantitative", "assessment", "current state", "as is", "diagnostic", "findings",
                      "no show", "leakage", "abandonment"),
    "financial_model": ("financial model", "business case", "cost benefit", "npv", "irr",
                        "return on investment", "payback", "savings", "revenue", "p&l", "forecast",
                        "sensitivity", "scenario", "scenarios", "assumptions", "workbook", "spreadsheet",
                        "cfo", "finance", "fp&a", "bridge", "valuation", "dcf", "cash flow", "margin",
                        "one time costs", "savings model", "recapture"),
    "org_design": ("organization design", "org chart", "organization chart", "structure", "operating model",
                   "target operating model", "future state", "roles", "role profiles", "job description",
                   "spans", "spans of control", "layers", "layer", "reporting lines", "raci",
                   "governance", "decision rights", "centralize", "centralized", "centralization",
                   "central", "hub and spoke", "design principles", "service catalog", "escalation",
                   "org options", "role counts", "regional", "site led", "hybrid"),
    "roadmap": ("roadmap", "implementation plan", "implementation", "waves", "wave", "phasing",
                "sequencing", "dependencies", "dependency", "gantt", "quick wins", "resource loading",
                "workstreams", "plan on a page", "transition plan", "phases", "phase plan"),
    "change_management": ("change management", "communications", "communication plan",
                          "communications plan", "announcement", "announcements", "talking points",
                          "faq", "faqs", "cascade", "town hall", "town halls", "stakeholder impact",
                          "impact assessment", "change readiness", "readiness", "pulse survey", "adoption",
                          "resistance", "engagement survey", "manager script", "heat map", "staff memo"),
    "steering": ("steering committee", "board", "board meeting", "committee", "executive meeting", "agenda",
                 "pre read", "preread", "pre read pack", "packet", "deck", "slides", "presentation",
                 "minutes", "decision log", "action log", "action items", "dry run", "rehearsal",
                 "facilitation", "facilitate", "facilitated", "decisions", "decision slides"),
    "workshop": ("workshop", "workshops", "working session", "offsite", "brainstorm", "ideation",
                 "leadership session", "scored", "criteria", "weighting"),
    "survey_research": ("survey", "surveys", "questionnaire", "desk research", "secondary research",
                        "literature review", "market research", "competitive analysis", "competitor audit",
                        "usability test", "user testing", "personas", "journey map", "card sort"),
    "strategy": ("strategy", "strategic", "positioning", "vision", "mission", "values", "persona",
                 "insights", "plan", "approach"),
    # --- other industries
    "legal": ("contract", "agreement", "nda", "msa", "redline", "clause", "clauses", "litigation",
              "deposition", "motion", "legal brief", "pleading", "court filing", "court", "hearing", "trial",
              "settlement", "compliance", "regulatory", "trademark", "patent", "licensing", "legal"),
    "accounting": ("audit", "tax", "tax return", "bookkeeping", "reconciliation", "reconcile",
                   "reconciled", "reconciling", "ledger", "journal entries", "month end close", "close",
                   "accounts payable", "accounts receivable", "financial statements", "gaap", "accruals"),
    "architecture": ("drawings", "cad drawings", "revit", "autocad", "schematic design",
                     "design development", "construction documents", "permit", "permitting", "site survey",
                     "elevations", "floor plan", "floor plans", "renderings", "submittals", "rfi",
                     "inspection", "punch list", "bim", "structural"),
    "it_infrastructure": ("infrastructure", "cloud", "aws", "azure", "network", "security", "pen test",
                          "firewall", "backup", "helpdesk", "incident", "monitoring", "devops", "pipeline"),
    "events": ("event", "venue", "catering", "run of show", "attendees", "registration", "speaker",
               "speakers", "rsvp", "logistics", "booth"),
    "public_relations": ("press release", "media list", "pitch", "pitching", "journalist", "journalists",
                         "press", "coverage", "media relations", "op ed", "award submission"),
    "seo": ("seo", "keyword research", "backlinks", "meta descriptions", "search console", "rankings"),
    "recruiting": ("recruiting", "recruitment", "sourcing", "candidates", "candidate", "job posting",
                   "screening", "offer letter", "onboarding", "compensation", "job grading"),
    "training": ("training", "curriculum", "course", "module", "e learning", "lms", "facilitator guide",
                 "trainer", "learning objectives", "trainees"),
    "meeting": ("meeting", "call", "calls", "sync", "check in", "huddle", "session", "sessions"),
}

# Words saying a production problem was repaired; with an incident cue they mean "fixed at once".
FIX_WORDS: frozenset[str] = frozenset({
    "fixed", "fix", "fixing", "patched", "patch", "hotfix", "resolved", "restored", "reprocessed",
    "rolled", "rollback", "reverted", "redeployed", "pushed", "sorted", "correctif", "behoben",
})

# Rush cues: (phrase, category, weight). Categories: deadline (a deadline within hours), compress (work
# squeezed or re-planned by others), demand (someone asked for it), incident (production broke),
# offhours (evening or weekend), rework (redo because something changed or was wrong), planned (counts
# against rush).
RUSH_CUES: tuple[tuple[str, str, float], ...] = (
    ("tonight", "deadline", 2.0), ("overnight", "deadline", 2.0), ("night before", "deadline", 2.0),
    ("first thing tomorrow", "deadline", 2.0), ("same day turnaround", "deadline", 2.0),
    ("turnaround", "deadline", 1.5),
    ("turned around", "deadline", 1.5), ("turned it around", "deadline", 1.5), ("turned round", "deadline", 1.5),
    ("turn around", "deadline", 1.5),
    ("end of day", "deadline", 1.0), ("tomorrow", "deadline", 1.0), ("by morning", "deadline", 1.5),
    ("in the morning", "deadline", 1.0), ("before send", "deadline", 2.0),
    ("before it goes out", "deadline", 1.0),
    ("as soon as possible", "deadline", 2.0), ("urgent", "deadline", 2.0), ("urgently", "deadline", 2.0),
    ("rush", "deadline", 2.0), ("rushed", "deadline", 2.0), ("same day", "deadline", 1.0),
    ("moved up", "compress", 2.5), ("pulled forward", "compress", 2.5),
    ("brought forward", "compress", 2.5), ("dropped everything", "compress", 2.5),
    ("emergency", "compress", 2.5), ("fire drill", "compress", 2.5), ("scramble", "compress", 2.0),
    ("scrambled", "compress", 2.0), ("last minute", "compress", 2.0), ("expedite", "compress", 2.0),
    ("expedited", "compress", 2.0), ("worked late", "compress", 2.0), ("stayed late", "compress", 2.0),
    ("late night", "compress", 2.0), ("worked til", "compress", 2.0), ("worked till", "compress", 2.0),
    ("worked until", "compress", 2.0), ("all nighter", "compress", 2.5), ("deadline moved", "compress", 2.5),
    ("at once", "compress", 1.0), ("right away", "compress", 1.0), ("immediately", "compress", 1.0),
    ("earlier than planned", "compress", 2.5), ("sooner than planned", "compress", 2.5),
    ("within the hour", "deadline", 2.0),
    # A deadline today or first thing tomorrow, said in the ways English notes say it.
    ("today", "deadline", 1.0), ("tomorrow morning", "deadline", 1.5), ("tomorrow am", "deadline", 1.5),
    ("tmrw am", "deadline", 1.5), ("by cob", "deadline", 1.5), ("cob", "deadline", 1.0),
    ("close of business", "deadline", 1.0), ("by eod", "deadline", 1.5), ("eob", "deadline", 1.0),
    ("by noon", "deadline", 1.5), ("this afternoon", "deadline", 1.0),
    ("by lunch", "deadline", 1.5), ("by lunchtime", "deadline", 1.5), ("before lunch", "deadline", 1.5),
    ("by the morning", "deadline", 1.5), ("short notice", "compress", 2.5), ("preponed", "compress", 3.0),
    ("prepone", "compress", 3.0), ("through the night", "compress", 2.5), ("all night", "compress", 2.5),
    ("sooner", "compress", 1.0), ("just found out", "compress", 1.0), ("reprioritised", "compress", 1.5),
    ("reprioritized", "compress", 1.5), ("early start", "offhours", 1.0),
    ("wanted it", "demand", 1.0), ("wanted them", "demand", 1.0), ("wanting", "demand", 1.0),
    ("locked out", "incident", 2.0), ("still down", "incident", 2.0), ("back online", "incident", 1.5),
    ("not syncing", "incident", 1.5), ("not loading", "incident", 1.5),
    ("not responding", "incident", 1.5), ("not sending", "incident", 1.5), ("not connecting", "incident", 1.5),
    ("reworked", "rework", 1.0), ("stayed on after", "compress", 1.5), ("stayed back", "compress", 1.5),
    ("cancelled on us", "compress", 2.0), ("couldn't", "incident", 1.0), ("could not", "incident", 1.0),
    ("as usual", "planned", -1.5),
    # outages in other languages ("ausgefallen" is also a cancelled meeting, "bloccato" a task waiting: held only)
    ("ausgefallen", "incident", 1.0), ("stillstand", "incident", 2.0), ("stand still", "incident", 2.0),
    ("bloccato", "incident", 1.0), ("bloccata", "incident", 1.0), ("bloccati", "incident", 1.0),
    ("awaria", "incident", 2.5), ("fora do ar", "incident", 2.5), ("po godzinach", "offhours", 1.0),
    ("fino a mezzanotte", "offhours", 1.0),
    ("needed by", "demand", 1.0), ("required by", "demand", 1.0), ("needs it by", "demand", 1.0),
    ("escalated", "demand", 1.0), ("same afternoon", "deadline", 1.0), ("same morning", "deadline", 1.0),
    ("same evening", "deadline", 1.0), ("paged", "incident", 2.0), ("on call page", "incident", 2.0),
    ("wants", "demand", 1.0), ("needs", "demand", 1.0), ("asked for", "demand", 1.0),
    ("asked that", "demand", 1.0), ("asked us to", "demand", 1.0), ("asked to", "demand", 1.0),
    ("as the client asked", "demand", 1.0),
    ("need", "demand", 1.0), ("want", "demand", 1.0),
    ("requested", "demand", 0.5), ("insisted", "demand", 1.0), ("demanded", "demand", 1.0),
    ("hotfix", "incident", 3.0), ("hot fix", "incident", 3.0), ("outage", "incident", 3.0),
    ("prod down", "incident", 3.0), ("production down", "incident", 3.0), ("can't", "incident", 1.0),
    ("cannot", "incident", 1.0), ("unable to", "incident", 1.0), ("failing", "incident", 1.0),
    ("stopped working", "incident", 2.0), ("blocked", "incident", 0.5),
    ("site down", "incident", 2.5), ("is down", "incident", 2.0), ("went down", "incident", 2.0),
    ("broke", "incident", 1.5), ("broken", "incident", 1.5), ("crash", "incident", 1.5),
    ("crashing", "incident", 1.5), ("throwing errors", "incident", 2.0), ("errors", "incident", 1.0),
    ("not applying", "incident", 1.0), ("not working", "incident", 1.0),
    ("sales tank", "incident", 1.5), ("rollback", "incident", 1.5), ("rolled back", "incident", 1.5),
    ("patched", "incident", 1.0),
    ("weekend", "offhours", 1.0), ("saturday", "offhours", 1.0), ("sunday", "offhours", 1.0),
    ("sat", "offhours", 1.0), ("sun", "offhours", 1.0), ("midnight", "offhours", 1.0),
    ("redid", "rework", 1.0), ("redo", "rework", 1.0), ("rebuilt", "rework", 1.0),
    ("rebuilding", "rework", 1.0),
    ("rework", "rework", 1.0), ("rewrote", "rework", 0.5), ("wrong", "rework", 1.0),
    ("can still go", "deadline", 1.0), ("still go", "deadline", 0.5),
    ("planned", "planned", -2.0), ("as scheduled", "planned", -2.0), ("as planned", "planned", -2.0),
    ("per plan", "planned", -1.5), ("final look", "planned", -1.0), ("launch day", "planned", -1.0),
    ("no rush", "planned", -4.0), ("not urgent", "planned", -4.0), ("whenever", "planned", -1.0),
    # Shorthand and the same cues in German, French and Spanish notes (translations of the ones above).
    ("tmrw", "deadline", 1.0), ("tmw", "deadline", 1.0), ("2nite", "deadline", 2.0), ("eod", "deadline", 1.0),
    ("heute abend", "deadline", 2.0), ("heute nacht", "deadline", 2.0), ("bis morgen", "deadline", 1.5),
    ("morgen früh", "deadline", 1.5), ("morgen", "deadline", 1.0), ("en panne", "incident", 2.5),
    ("ridotto a", "compress", 2.0), ("dringend", "deadline", 2.0), ("sofort", "compress", 1.0),
    ("vorgezogen", "compress", 2.5), ("braucht", "demand", 1.0), ("will", "demand", 0.5),
    ("ce soir", "deadline", 2.0), ("cette nuit", "deadline", 2.0), ("demain matin", "deadline", 1.5),
    ("pour demain", "deadline", 1.5), ("en urgence", "deadline", 2.0), ("urgente", "deadline", 2.0),
    ("avancé", "compress", 2.0), ("avancée", "compress", 2.0), ("veut", "demand", 1.0),
    ("besoin", "demand", 1.0), ("esta noche", "deadline", 2.0), ("para mañana", "deadline", 1.5),
    ("adelantaron", "compress", 2.5), ("adelantó", "compress", 2.5), ("adelantar", "compress", 2.5),
    ("adelantamos", "compress", 2.5), ("adelantado", "compress", 2.5), ("adelantada", "compress", 2.5),
    ("necesita", "demand", 1.0), ("quiere", "demand", 1.0), ("pide", "demand", 1.0), ("pidió", "demand", 1.0),
    ("pidieron", "demand", 1.0),
    # ... in Italian, Portuguese and Dutch (a phrase inside a longer one found counts only as part of it).
    ("stasera", "deadline", 2.0), ("stanotte", "deadline", 2.0), ("in nottata", "deadline", 2.0),
    ("domattina", "deadline", 1.5), ("domani mattina", "deadline", 1.5), ("entro domani", "deadline", 1.5),
    ("per domani", "deadline", 1.5), ("domani", "deadline", 1.0), ("in serata", "deadline", 1.5),
    ("in giornata", "deadline", 1.0), ("fine giornata", "deadline", 1.0), ("al più presto", "deadline", 2.0),
    ("urgenza", "deadline", 2.0), ("subito", "compress", 1.0), ("ultimo minuto", "compress", 2.0),
    ("anticipato", "compress", 2.5), ("anticipata", "compress", 2.5), ("anticipati", "compress", 2.5),
    ("anticipa", "compress", 2.5), ("vuole", "demand", 1.0), ("chiede", "demand", 1.0),
    ("ha chiesto", "demand", 1.0), ("richiesto", "demand", 0.5),
    ("hoje à noite", "deadline", 2.0), ("esta noite", "deadline", 2.0), ("de madrugada", "deadline", 2.0),
    ("amanhã cedo", "deadline", 1.5), ("para amanhã", "deadline", 1.5), ("até amanhã", "deadline", 1.5),
    ("amanhã", "deadline", 1.0), ("fim do dia", "deadline", 1.0), ("o quanto antes", "deadline", 2.0),
    ("urgência", "deadline", 2.0), ("imediatamente", "compress", 1.0), ("última hora", "compress", 2.0),
    ("antecipou", "compress", 2.5), ("antecipado", "compress", 2.5), ("antecipada", "compress", 2.5),
    ("quer", "demand", 1.0), ("precisa", "demand", 1.0), ("pediu", "demand", 1.0), ("pede", "demand", 1.0),
    ("solicitou", "demand", 0.5),
    ("vanavond", "deadline", 2.0), ("vannacht", "deadline", 2.0), ("s avonds", "deadline", 1.5),
    ("morgenvroeg", "deadline", 1.5), ("morgenochtend", "deadline", 1.5), ("voor morgen", "deadline", 1.5),
    ("met spoed", "deadline", 2.0), ("spoed", "deadline", 2.0), ("zo snel mogelijk", "deadline", 2.0),
    ("vervroegd", "compress", 2.5), ("naar voren gehaald", "compress", 2.5), ("moest", "demand", 0.5),
    ("wil", "demand", 0.5),
    # ... and in Polish.
    ("dziś wieczorem", "deadline", 2.0), ("dzisiaj wieczorem", "deadline", 2.0), ("w nocy", "deadline", 2.0),
    ("jeszcze dziś", "deadline", 1.5), ("jeszcze dzisiaj", "deadline", 1.5), ("na jutro", "deadline", 1.5),
    ("do jutra", "deadline", 1.5), ("jutro rano", "deadline", 1.5), ("jutro", "deadline", 1.0),
    ("pilnie", "deadline", 2.0), ("pilne", "deadline", 2.0), ("na wczoraj", "deadline", 2.0),
    ("przyspieszył", "compress", 2.5), ("przyspieszyła", "compress", 2.5), ("przyspieszyli", "compress", 2.5),
    ("na wcześniej", "compress", 2.5), ("chce", "demand", 1.0), ("potrzebuje", "demand", 1.0),
    ("poprosił", "demand", 1.0), ("poprosiła", "demand", 1.0), ("prosi", "demand", 1.0),
    # "today", "tomorrow", "end of day", "overnight", the weekend and midnight in the languages above, where only
    # longer phrases were listed: a German or French note saying "heute" or "aujourd'hui" reads as the English
    # "today" does (Spanish "mañana" is also "morning", so only "para mañana" above counts).
    ("heute", "deadline", 1.0), ("aujourd'hui", "deadline", 1.0), ("hoy", "deadline", 1.0),
    ("oggi", "deadline", 1.0), ("hoje", "deadline", 1.0), ("vandaag", "deadline", 1.0), ("dziś", "deadline", 1.0),
    ("dzisiaj", "deadline", 1.0), ("demain", "deadline", 1.0),
    ("fin de journée", "deadline", 1.0), ("fin del día", "deadline", 1.0), ("einde van de dag", "deadline", 1.0),
    ("koniec dnia", "deadline", 1.0), ("über nacht", "deadline", 2.0), ("toda la noche", "deadline", 2.0),
    ("toute la nuit", "deadline", 2.0), ("tutta la notte", "deadline", 2.0), ("a noite toda", "deadline", 2.0),
    ("de hele nacht", "deadline", 2.0), ("całą noc", "deadline", 2.0),
    ("wochenende", "offhours", 1.0), ("week end", "offhours", 1.0), ("fin de semana", "offhours", 1.0),
    ("fine settimana", "offhours", 1.0), ("fim de semana", "offhours", 1.0), ("samstag", "offhours", 1.0),
    ("sonntag", "offhours", 1.0), ("samedi", "offhours", 1.0), ("dimanche", "offhours", 1.0),
    ("sábado", "offhours", 1.0), ("sabato", "offhours", 1.0), ("domenica", "offhours", 1.0),
    ("zaterdag", "offhours", 1.0), ("zondag", "offhours", 1.0), ("sobota", "offhours", 1.0),
    ("niedziela", "offhours", 1.0), ("mitternacht", "offhours", 1.0), ("minuit", "offhours", 1.0),
    ("medianoche", "offhours", 1.0), ("mezzanotte", "offhours", 1.0), ("meia noite", "offhours", 1.0),
    ("middernacht", "offhours", 1.0), ("północ", "offhours", 1.0),
    ("wknd", "offhours", 1.0), ("wkend", "offhours", 1.0),
    # a security incident or a service gone dark (not "breach of contract", not "phishing training")
    ("ransomware", "incident", 2.0), ("malware", "incident", 2.0), ("hacked", "incident", 2.0),
    ("ddos", "incident", 2.0), ("data breach", "incident", 2.0), ("security breach", "incident", 2.0),
    ("cyberattack", "incident", 2.0), ("cyber attack", "incident", 2.0), ("went dark", "incident", 2.0),
    ("went offline", "incident", 2.0),
    ("was down", "incident", 2.0), ("were down", "incident", 2.0), ("are down", "incident", 2.0),
    ("been down", "incident", 2.0), ("sev1", "incident", 2.0), ("sev 1", "incident", 2.0),
    ("p1 incident", "incident", 2.0), ("p1 ticket", "incident", 2.0), ("p0", "incident", 2.0),
    ("damage control", "compress", 2.0), ("dawn raid", "compress", 2.5),
    # time pressure said without a deadline word
    ("after hours", "offhours", 1.0), ("out of hours", "offhours", 1.0), ("turn round", "deadline", 1.5),
    ("fast track", "compress", 2.0), ("fast tracked", "compress", 2.0), ("fast tracking", "compress", 2.0),
    ("tight deadline", "compress", 2.0), ("tight turnaround", "compress", 2.0), ("tight timeline", "compress", 2.0),
    ("crunch", "compress", 1.5), ("firefighting", "compress", 2.0), ("fire fighting", "compress", 2.0),
    ("in a hurry", "deadline", 2.0), ("hurried", "deadline", 1.5), ("eleventh hour", "compress", 2.5),
    ("11th hour", "compress", 2.5), ("late change", "compress", 1.5), ("late changes", "compress", 1.5),
    ("late notice", "compress", 2.0), ("late request", "compress", 1.5), ("needed it yesterday", "deadline", 2.0),
    ("wanted it yesterday", "deadline", 2.0), ("hours notice", "compress", 2.0), ("hours' notice", "compress", 2.0),
    ("days notice", "compress", 1.5), ("out of the blue", "compress", 1.5), ("unplanned", "compress", 1.5),
    ("before the market opens", "deadline", 2.0), ("before markets open", "deadline", 2.0),
    ("had to drop", "compress", 2.0), ("chased", "demand", 1.0),
    # a date moved earlier, in German, Swedish and Danish
    ("vorverlegt", "compress", 2.5), ("tidigarelagt", "compress", 2.5), ("flyttade fram", "compress", 2.5),
    ("rykket frem", "compress", 2.5), ("fremrykket", "compress", 2.5),
    # ... in other languages: short notice, the last minute
    ("kurzfristig", "compress", 2.0), ("kurzfristige", "compress", 2.0), ("kurzfristigen", "compress", 2.0),
    ("schnellstmöglich", "deadline", 2.0), ("auf die schnelle", "deadline", 1.5),
    ("in letzter minute", "compress", 2.0),
    ("au dernier moment", "compress", 2.0), ("dernière minute", "compress", 2.0), ("en catastrophe", "compress", 2.0),
    ("dans les plus brefs délais", "deadline", 2.0), ("de última hora", "compress", 2.0),
    ("a última hora", "compress", 2.0), ("contrarreloj", "compress", 2.0), ("cuanto antes", "deadline", 2.0),
    ("lo antes posible", "deadline", 2.0), ("all'ultimo", "compress", 2.0), ("in fretta", "deadline", 2.0),
    ("di corsa", "deadline", 1.5), ("quanto prima", "deadline", 2.0), ("em cima da hora", "compress", 2.0),
    ("às pressas", "deadline", 2.0), ("op het laatste moment", "compress", 2.0), ("op korte termijn", "compress", 1.5),
    ("kort dag", "compress", 2.0),
    # ... and in Swedish and Danish (today, tonight, tomorrow, the weekend, the last minute)
    ("idag", "deadline", 1.0), ("i dag", "deadline", 1.0), ("ikväll", "deadline", 2.0), ("i kväll", "deadline", 2.0),
    ("i natt", "deadline", 2.0), ("imorgon", "deadline", 1.0), ("i morgon", "deadline", 1.0),
    ("i aften", "deadline", 2.0), ("i nat", "deadline", 2.0), ("helgen", "offhours", 1.0),
    ("weekenden", "offhours", 1.0), ("lördag", "offhours", 1.0), ("söndag", "offhours", 1.0),
    ("lørdag", "offhours", 1.0), ("søndag", "offhours", 1.0), ("sista minuten", "compress", 2.0),
    ("sidste øjeblik", "compress", 2.0), ("med kort varsel", "compress", 2.0), ("s nachts", "deadline", 2.0),
    # "same day" in the languages above
    ("no mesmo dia", "deadline", 1.0), ("el mismo día", "deadline", 1.0), ("le jour même", "deadline", 1.0),
    ("am selben tag", "deadline", 1.0), ("am gleichen tag", "deadline", 1.0), ("in giornata stessa", "deadline", 1.0),
    ("lo stesso giorno", "deadline", 1.0), ("dezelfde dag", "deadline", 1.0), ("tego samego dnia", "deadline", 1.0),
    ("samma dag", "deadline", 1.0), ("samme dag", "deadline", 1.0),
    ("kort varsel", "compress", 2.0),
)
# A schedule moved up (the compress cues above and "moved the X up") counts as rush on its own when the note also
# says to when or by how much ("moved deadline up to Fri", "brought the window forward to this week"): the
# labelled sets' definition of rush includes "a deadline was moved up". Without a time ("moved the logo up") it
# needs more evidence.
MOVED_UP_CUES = frozenset((
    "moved up", "pulled forward", "brought forward", "vorgezogen", "adelantaron", "adelantó", "vervroegd",
    "naar voren gehaald", "anticipato", "anticipata", "anticipati", "anticipa", "antecipou", "antecipado",
    "antecipada", "adelantar", "adelantamos", "adelantado", "adelantada", "earlier than planned", "vorverlegt",
    "tidigarelagt", "flyttade fram", "rykket frem", "fremrykket",
    "sooner than planned", "przyspieszył", "przyspieszyła", "przyspieszyli", "na wcześniej"))
WEEKDAYS = frozenset(("mon", "monday", "tue", "tues", "tuesday", "wed", "wednesday", "thu", "thur", "thurs",
                      "thursday", "fri", "friday", "sat", "saturday", "sun", "sunday"))
# Working days in German, French, Spanish and Italian (the languages whose "a day instead of the month end" the
# rush reader knows, `offline_rush._BEFORE_NEXT`).
WORKDAYS_DE_FR_ES_IT = ("montag", "dienstag", "mittwoch", "donnerstag", "freitag", "lundi", "mardi", "mercredi",
                        "jeudi", "vendredi", "lunes", "martes", "miércoles", "jueves", "viernes", "lunedì", "martedì",
                        "mercoledì", "giovedì", "venerdì")
SCHEDULE_WORDS = WEEKDAYS | frozenset(WORKDAYS_DE_FR_ES_IT) | frozenset((
    "today", "tomorrow", "tmrw", "week", "weeks", "day", "days", "deadline", "due",
    "morgen", "woche", "frist",
    "demain", "semaine", "échéance",
    "mañana", "plazo",
    "domani", "settimana", "giorni", "scadenza",
    "termine", "segunda", "terça", "quarta", "quinta", "sexta", "amanhã", "semana", "dias", "prazo",
    "maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "dagen",
    "poniedziałek", "wtorek", "środa", "środę", "czwartek", "piątek", "jutro", "dziś", "dzisiaj", "tydzień",
    "termin"))
# A note that says when within the day (`TIME_WORDS`; not a weekday: "call w/ client Tues" names a meeting's day)
# and who outside the team (`OUTSIDE_PARTIES`) is telling how the work came about; without a cue it reads, it is a
# reviewer's call whether the timing was squeezed (`offline_rush`).
TIME_WORDS = frozenset((
    "today", "tonight", "tomorrow", "tmrw", "yesterday", "morning", "afternoon", "arvo", "evening", "night",
    "overnight", "lunch", "lunchtime", "noon", "midnight", "now", "hours", "hour", "hrs", "weekend", "saturday",
    "sunday", "earlier", "sooner", "early", "late", "eod", "cob", "wknd", "wkend",
    "heute", "morgen", "nachmittag", "abend", "nacht", "mitternacht", "wochenende", "samstag", "sonntag",
    "aujourd'hui", "demain", "après-midi", "soir", "soirée", "nuit", "minuit", "samedi", "dimanche",
    "hoy", "mañana", "tarde", "noche", "medianoche", "sábado", "domingo",
    "oggi", "domani", "pomeriggio", "sera", "serata", "notte", "mezzanotte", "sabato", "domenica",
    "hoje", "amanhã", "noite", "vandaag", "middag", "avond", "middernacht", "zaterdag", "zondag",
    "dziś", "dzisiaj", "jutro", "popołudniu", "wieczorem", "noc", "nocy", "północ", "godzinach", "sobota",
    "niedziela", "idag", "ikväll", "imorgon", "kväll", "eftermiddag", "eftermiddagen", "natt", "helgen", "aften",
    "nat", "weekenden", "lördag", "söndag", "lørdag", "søndag"))
OUTSIDE_PARTIES = frozenset((
    "client", "clients", "customer", "customers", "regulator", "court", "judge", "tribunal", "bank", "lender",
    "lenders", "board", "cfo", "ceo", "coo", "cto", "gc", "investor", "investors", "buyer", "seller", "acquirer",
    "insurer", "auditor", "auditors", "inspector", "opposing", "sponsor", "tenant", "landlord",
    "embassy", "irs", "hmrc", "ato", "sec", "authority", "ministry", "council", "vendor", "supplier",
    "mandant", "kunde", "kundin", "vorstand", "gericht", "behörde", "klient", "klienta", "klientka", "klant",
    "opdrachtgever", "cliente", "tribunale", "giudice", "juez", "juzgado", "banca", "banco", "finanzamt",
    "urząd", "hacienda", "fisco", "belastingdienst", "receita", "impots", "kund", "kunden", "klienten",
    "myndighet", "myndigheten", "skatteverket", "skat", "styrelsen", "bestyrelsen",
    "domstol", "domstolen",
    "retten", "banken", "revisor", "revisorn", "revisoren"))
# Things with a date that "moved X up" may be about.
SCHEDULE_NOUNS = frozenset(("deadline", "deadlines", "date", "due", "schedule", "timeline", "meeting", "call",
                            "launch", "review", "screening", "window", "submittal", "submission", "filing",
                            "hearing", "cutover", "golive", "delivery", "handover", "audit", "inspection",
                            "presentation", "readout", "kickoff", "board"))

# Concepts that name a kind of work (a discipline or activity) rather than the thing worked on: a page can
# be designed, built or written, but "headline" is copywriting whatever page it is for.
DISCIPLINES: frozenset[str] = frozenset({
    "logo", "identity", "typography", "creative_direction", "wireframe", "software", "qa_testing",
    "integration", "release_ops", "copywriting",
    "email_marketing", "advertising", "social_media", "photography", "video", "project_management",
    "interviews", "data_analysis", "financial_model", "org_design", "roadmap", "change_management",
    "steering", "workshop", "survey_research", "legal", "accounting", "architecture", "it_infrastructure",
    "events", "public_relations", "seo", "recruiting", "training",
})

# Professional-services shorthand (legal, accounting and audit, tax, IT, engineering and architecture, research
# and consulting, HR) -> candidate expansions. Unlike ABBREVIATIONS these are applied per client, only when
# the client's SOW uses a word of the candidate (offline_acronyms.ExpansionTable): "rec" is a reconciliation
# to an accountant and a recommendation to a consultant; a candidate the SOW does not support is not used.
SHORTHAND: dict[str, tuple[str, ...]] = {
    # legal
    "mtd": ("motion to dismiss",), "msj": ("motion for summary judgment",), "sj": ("summary judgment",),
    "rfp": ("request for production", "request for proposal"), "rfps": ("requests for production",
                                                                        "requests for proposal"),
    "rfa": ("request for admission",), "rfas": ("requests for admission",), "rog": ("interrogatory",),
    "rogs": ("interrogatories",), "depo": ("deposition",), "depos": ("depositions",), "tc": ("telephone call",),
    "oc": ("opposing counsel",), "gc": ("general counsel",), "atty": ("attorney",), "attys": ("attorneys",),
    "ltr": ("letter",), "ltrs": ("letters",), "corr": ("correspondence",), "mtn": ("motion",),
    "opp": ("opposition", "opportunity"), "pldg": ("pleading",), "pldgs": ("pleadings",), "priv": ("privilege",),
    "stip": ("stipulation",), "spa": ("stock purchase agreement",), "apa": ("asset purchase agreement",),
    "loi": ("letter of intent",), "nda": ("non disclosure agreement",), "tsa": ("transition services agreement",),
    "msa": ("master services agreement",), "dd": ("due diligence", "design development"),
    "hsr": ("premerger notification",), "indem": ("indemnification",), "reps": ("representations",),
    "agmt": ("agreement",), "agmts": ("agreements",), "amdt": ("amendment",), "cert": ("certificate",),
    "certs": ("certificates",), "sched": ("schedule",), "scheds": ("schedules",),
    # accounting, audit, tax
    "je": ("journal entry",), "jes": ("journal entries",), "aje": ("adjusting journal entry",),
    "ajes": ("adjusting journal entries",), "ap": ("accounts payable", "payables"),
    "ar": ("accounts receivable", "receivables"), "gl": ("general ledger",), "tb": ("trial balance",),
    "rec": ("reconciliation", "recommendation"), "recs": ("reconciliations", "recommendations"),
    "recon": ("reconciliation",), "recons": ("reconciliations",), "bs": ("balance sheet",),
    "fa": ("fixed assets",), "depr": ("depreciation",), "amort": ("amortization",), "accr": ("accrual",),
    "accrs": ("accruals",), "ic": ("intercompany",), "def": ("deferred",), "rev": ("revenue", "revision"),
    "pbc": ("provided by client",), "wp": ("workpapers",), "wps": ("workpapers",), "ytd": ("year to date",),
    "ye": ("year end",), "fy": ("fiscal year",), "flux": ("fluctuation variance analysis",),
    "bud": ("budget",), "var": ("variance",), "vars": ("variances",), "fcst": ("forecast",),
    "cogs": ("cost of goods sold",), "inv": ("inventory", "invoice", "investment"), "invs": ("invoices",),
    "pymt": ("payment",), "pmt": ("payment",), "pmts": ("payments",), "pymts": ("payments",),
    "vend": ("vendor",), "vends": ("vendors",), "cust": ("customer",), "custs": ("customers",),
    "ppe": ("property plant equipment",), "nrv": ("net realizable value",), "lcm": ("lower of cost",),
    "coa": ("chart of accounts",), "itgc": ("it general controls",), "stmt": ("statement",),
    "stmts": ("statements",), "conf": ("confirmation", "conference"), "confs": ("confirmations", "conferences"),
    "alloc": ("allocation",), "allocs": ("allocations",), "adj": ("adjustment", "adjusting"),
    "adjs": ("adjustments",), "clr": ("clearing",), "cc": ("credit card",), "prov": ("provision",),
    "rtn": ("return",), "rtns": ("returns",), "ext": ("extension",), "est": ("estimated", "estimate"),
    "amt": ("amount",), "amts": ("amounts",), "bal": ("balance",), "bals": ("balances",),
    "txn": ("transaction",), "txns": ("transactions",), "exp": ("expense", "expenses"), "exps": ("expenses",),
    # IT and managed services
    "tkt": ("ticket",), "tkts": ("tickets",), "inc": ("incident",), "chg": ("change",),
    "sw": ("software",), "hw": ("hardware",), "fw": ("firewall", "firmware"), "srv": ("server",),
    "svr": ("server",), "srvs": ("servers",), "wkstn": ("workstation",), "wkstns": ("workstations",),
    "vm": ("virtual machine",), "vms": ("virtual machines",), "mfa": ("multi factor authentication",),
    "edr": ("endpoint detection",), "av": ("antivirus",), "dc": ("domain controller",),
    "m365": ("microsoft 365",), "o365": ("office 365",), "exch": ("exchange",), "mig": ("migration",),
    "cfg": ("configuration",), "qbr": ("quarterly business review",), "qbrs": ("quarterly business reviews",),
    "sla": ("service level",), "kb": ("knowledge base",), "pwd": ("password",), "usr": ("user",),
    "usrs": ("users",), "offb": ("offboarding",), "onb": ("onboarding",), "bkp": ("backup",),
    "bkup": ("backup",), "rdp": ("remote desktop",), "sso": ("single sign on",), "db": ("database",),
    "dbs": ("databases",), "infra": ("infrastructure",), "vuln": ("vulnerability",),
    "vulns": ("vulnerabilities",), "sec": ("security", "section"), "net": ("network",),
    # engineering and architecture
    "insp": ("inspection",), "calc": ("calculation",), "calcs": ("calculations",), "dwg": ("drawing",),
    "dwgs": ("drawings",), "sub": ("submittal", "subcontractor"), "subs": ("submittals", "subcontractors"),
    "coord": ("coordination",), "struct": ("structural",), "mech": ("mechanical",), "elec": ("electrical",),
    "plumb": ("plumbing",), "geotech": ("geotechnical",), "elev": ("elevation",), "elevs": ("elevations",),
    "sect": ("section",), "sects": ("sections",), "det": ("detail",), "dets": ("details",),
    "qty": ("quantity",), "qtys": ("quantities",), "rpt": ("report",), "rpts": ("reports",),
    "matl": ("material",), "matls": ("materials",), "engr": ("engineer",), "app": ("application",),
    "apps": ("applications",), "env": ("environmental", "environment"), "mot": ("maintenance of traffic",),
    "cd": ("construction documents", "creative director"), "cds": ("construction documents",),
    "sd": ("schematic design",), "ca": ("construction administration",),
    # research, evaluation, consulting, HR
    "svy": ("survey",), "svys": ("surveys",), "fg": ("focus group",), "fgs": ("focus groups",),
    "intvw": ("interview",), "intvws": ("interviews",), "int": ("interview", "internal"),
    "ints": ("interviews",), "qual": ("qualitative", "quality"), "quant": ("quantitative",),
    "eval": ("evaluation",), "evals": ("evaluations",), "wkshp": ("workshop",), "wkshps": ("workshops",),
    "trng": ("training",), "deliv": ("deliverable",), "delivs": ("deliverables",), "dash": ("dashboard",),
    "ed": ("executive director",), "comp": ("compensation",),
    "jd": ("job description",), "jds": ("job descriptions",), "dq": ("data quality",),
    "cms": ("case management", "content management system"), "ppt": ("presentation",),
    "cx": ("customer experience",), "ux": ("user experience",), "ui": ("user interface",),
    "ia": ("information architecture",), "sem": ("search engine marketing",), "ppc": ("paid search",),
    "crm": ("customer relationship management",), "cta": ("call to action",), "mgr": ("manager",),
    "ops": ("operations",), "proj": ("project",), "req": ("requirement",),
    "pr": ("pull request", "press release", "public relations"), "prs": ("pull requests", "press releases"),
    "qa": ("quality assurance",), "qc": ("quality control",), "pm": ("project management", "project manager"),
    "po": ("purchase order", "product owner"), "pos": ("purchase orders",),
    "reqs": ("requirements",), "rfi": ("request for information",), "rfis": ("requests for information",),
    "anlys": ("analysis",), "rvw": ("review",), "rvwd": ("reviewed",), "drft": ("draft",),
}

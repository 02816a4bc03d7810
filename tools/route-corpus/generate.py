"""A differential corpus for the hot path: `route --explain` must give the same bytes before and after a change.

Writes NDJSON requests that reach every area, school, language, age band, concern, urgency and severity of the
shipped configuration, both request types, anonymous clients, consultations, escaped and non-ASCII text, and broken
inputs (the rest of the lines are rejections). Seeded, so the same file comes out every time.

    python3 tools/route-corpus/generate.py > /tmp/corpus.ndjson
    OLD/referral-router route --explain /tmp/corpus.ndjson > /tmp/old.txt
    NEW/referral-router route --explain /tmp/corpus.ndjson > /tmp/new.txt
    mask() { sed -E 's/"decidedAt":"[^"]*"//; s/"rejectedAt":"[^"]*"//' "$1"; }
    cmp <(mask /tmp/old.txt) <(mask /tmp/new.txt) && echo identical

With `--status`, status updates for the corpus's referrals follow their requests (some broken, some for unknown
ids), for `route --records`, which prints every record the router would publish, SLA events and state records
included, with a fixed clock (no masking needed):

    python3 tools/route-corpus/generate.py --status > /tmp/records.ndjson
    OLD/referral-router route --records /tmp/records.ndjson > /tmp/old.tsv
    NEW/referral-router route --records /tmp/records.ndjson > /tmp/new.tsv
    cmp /tmp/old.tsv /tmp/new.tsv && echo identical
"""
import json
import random
import sys
random.seed(6009)
munis = {"398": ["15100","15150","15210","15240","15300","15620","15810","15550","15999",None], "111":[None,"18100"], "098":[None], "316":[None], "016":[None], "081":[None], "142":[None], "560":[None], "576":[None], "781":[None], "257":[None,"02400"], "091":[None], None:[None]}
schools = ["ph-school-jalkaranta","ph-school-kivimaa","ph-school-kartano","ph-school-nastola","ph-school-heinola","ph-school-hollola","ph-school-karkola","ph-school-asikkala","ph-school-hartola","ph-school-iitti","ph-school-orimattila","ph-school-padasjoki","lu-school-kirkkoharju","lu-school-winellska","no-such-school",None,None,None]
concerns = ["parenting","couple_relationship","separation","pregnancy_infancy","financial_hardship","immigrant_family","neuropsychiatric","mental_health","substance_use","domestic_violence","bullying","school_absence","learning_difficulties","school_wellbeing","child_protection","disability"]
urg = ["emergency","urgent","new_concern","ongoing_support","prevention"]
sev = ["mild","moderate","severe"]
langs = ["fi","sv","en","ru",None]
teams = ["ph-fc-heinola","ph-fc-lahti-south","lu-fc-sv","ph-triage",None]
units = ["child_psychiatry","adolescent_psychiatry","neuropsychiatric_team","youth_substance","family_violence","ot_centre",None]
days = ["2026-11-16T09:30:00+02:00","2026-12-24T15:00:00+02:00","2026-12-31T23:59:00+02:00","2027-03-28T02:30:00+02:00","2026-06-19T08:00:00+03:00","2026-10-24T12:00:00+03:00","2027-01-06T00:00:00Z","2026-04-03T10:00:00+03:00"]
out=[]
for i in range(6000):
    t = "consultation" if random.random()<0.2 else "referral"
    m = random.choice(list(munis))
    client = {}
    if not (t=="consultation" and random.random()<0.5): client["ref"]="pseud-%04x"%random.randrange(65536)
    if random.random()<0.95: client["ageYears"]=random.randrange(0,26)
    if m is not None: client["municipality"]=m
    pc = random.choice(munis[m])
    if pc: client["postalCode"]=pc
    l = random.choice(langs)
    if l: client["language"]=l
    s = random.choice(schools)
    if s: client["schoolId"]=s
    need={"concerns": random.sample(concerns, random.choice([1,1,1,2,2,3])), "urgency":random.choice(urg), "severity":random.choice(sev)}
    r={"type":t,"id":"c-%05d"%i,"submittedAt":random.choice(days),"source":{"system":"corpus","unit":"u-%d"%(i%7),"professionalRole":"public_health_nurse"},"client":client,"need":need}
    if t=="consultation":
        c={}
        ct=random.choice(teams)
        if ct: c["caseOwnerTeam"]=ct
        u=random.choice(units)
        if u: c["requestedUnitType"]=u
        if random.random()<0.7: c["question"]=random.choice(["How to support?","Quote \" and \\ back\nslash\ttab","Åland ja äiti — ok?"])
        r["consultation"]=c
    if random.random()<0.3: r["notes"]=random.choice(["short","line\nbreak \"q\"","ääkköset ja € merkki"])
    out.append(json.dumps(r, ensure_ascii=random.random()<0.5))
bad = ['{}','not json','{"type":"referral"}','{"type":"referral","id":"x","submittedAt":"nope"}','[1,2]','{"type":"referral","id":"y","submittedAt":"2026-11-16T09:30:00+02:00","source":{"system":"s"},"client":{"ageYears":-3},"need":{"concerns":["none"],"urgency":"soon","severity":"x"}}','{"type":"referral","id":"z","id":"z2"}','{"a":"\\ud800"}']
for i in range(9): out += bad
if "--status" in sys.argv[1:]:
    # A separate generator, so that the requests above are the same with or without status updates.
    rs = random.Random(150)
    statuses = ["acknowledged","first_contact","assessment_started","assessment_completed","service_started","closed","withdrawn","reassigned"]
    mixed = []
    pending = []
    for line in out:
        mixed.append(line)
        try:
            rid = json.loads(line).get("id") if line.startswith("{") else None
        except ValueError:
            rid = None
        if isinstance(rid, str) and rs.random() < 0.4:
            pending.append(rid)
        while pending and rs.random() < 0.5:
            target = pending.pop(rs.randrange(len(pending)))
            st = rs.choice(statuses)
            u = {"referralId": target, "status": st, "at": "2027-01-0%dT1%d:00:00+02:00" % (rs.randrange(4, 10), rs.randrange(10)), "team": rs.choice(["ph-fc-heinola","ph-triage","lu-fc-sv","ph-cp-intake"])}
            if rs.random() < 0.03: u.pop("at")
            if rs.random() < 0.02: u["status"] = "lost"
            mixed.append(json.dumps(u))
            if rs.random() < 0.3: pending.append(target)
    mixed.append(json.dumps({"referralId": "no-such-referral", "status": "closed", "at": "2027-01-05T10:00:00+02:00", "team": "ph-triage"}))
    out = mixed
sys.stdout.write('\n'.join(out) + '\n')


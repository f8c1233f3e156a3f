// The status page: reads the JSON/HTTP API with a bearer token and shows the
// program's money, researchers and hires, each consortium's, and the audit
// tree head. Read-only; refreshed by polling every POLL_MS.
//
// Every figure is an element with data-source ("program:<id>",
// "consortium:<id>", "tree"), data-field (the answer's JSON path, with
// [key=value] picking an element of a list) and data-value (the figure as
// the API gave it), so a test can check each against the API itself.
"use strict";

const POLL_MS = 10000;
// The charts' colours: what was agreed, what may be paid, what was paid.
const AGREED_COLOUR = "#3b6ea5";
const LIMIT_COLOUR = "#c9d1d9";
const PAID_COLOUR = "#e08a2c";
const PAGE_SIZE = 100;
let token = "";
const charts = new Map();

function $(id) { return document.getElementById(id); }

function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
  for (const child of children) node.append(child);
  return node;
}

function krw(value) { return Number(value || 0).toLocaleString("ko-KR") + "원"; }
function count(value) { return Number(value || 0).toLocaleString("ko-KR"); }

// A figure: its text formatted, its raw value and where it came from.
function figure(tag, source, field, value, format) {
  return element(tag, {"data-source": source, "data-field": field, "data-value": String(value ?? 0)},
                 format(value));
}

function cell(source, field, value, format) { return figure("td", source, field, value, format); }

function labelled(nameKo, nameEn, source, field, value, format) {
  return element("div", {class: "figure"},
                 element("div", {class: "name"}, `${nameKo} ${nameEn}`),
                 figure("div", source, field, value, format));
}

async function api(path) {
  const response = await fetch(path, {headers: {Authorization: "Bearer " + token}});
  const body = await response.json();
  if (!response.ok) {
    const error = new Error(body.error ? body.error.message : response.statusText);
    error.status = response.status;
    throw error;
  }
  return body;
}

async function allConsortia() {
  const consortia = [];
  let pageToken = "";
  do {
    const page = await api(`/v1/consortia?page_size=${PAGE_SIZE}` +
                           (pageToken ? `&page_token=${encodeURIComponent(pageToken)}` : ""));
    consortia.push(...(page.consortia || []));
    pageToken = page.nextPageToken || "";
  } while (pageToken);
  return consortia;
}

function barChart(id, labels, datasets) {
  if (charts.has(id)) charts.get(id).destroy();
  const canvas = $(id);
  charts.set(id, new Chart(canvas, {
    type: "bar",
    data: {labels, datasets},
    options: {animation: false, responsive: true, maintainAspectRatio: false,
              scales: {y: {beginAtZero: true}}},
  }));
}

function renderProgram(summary, consortia) {
  const source = `program:${summary.programId}`;
  const rules = summary.rules || {};
  const section = element("div", {"data-testid": source},
      element("h2", {}, `${summary.nameKo} · ${summary.nameEn} (${summary.programId})`));
  section.append(element("div", {class: "figures"},
      labelled("총 예산", "Total budget", source, "rules.totalBudgetKrw", rules.totalBudgetKrw, krw),
      labelled("선정 약정", "Committed", source, "committedKrw", summary.committedKrw, krw),
      labelled("협약", "Agreed", source, "agreedTotalKrw", summary.agreedTotalKrw, krw),
      labelled("집행", "Disbursed", source, "disbursedTotalKrw", summary.disbursedTotalKrw, krw),
      labelled("미약정", "Uncommitted", source, "uncommittedKrw", summary.uncommittedKrw, krw),
      labelled("컨소시엄", "Consortia", source, "consortiumCount", summary.consortiumCount, count),
      labelled("채용", "Hires", source, "hireCount", summary.hireCount, count),
      labelled("채용 목표", "Hiring target", source, "hiringTarget", summary.hiringTarget, count),
      labelled("재학 연구원", "Researchers enrolled", source, "researcherCounts.enrolled",
               (summary.researcherCounts || {}).enrolled, count)));
  const years = summary.byYear || [];
  const table = element("table", {},
      element("tr", {}, element("th", {class: "label"}, "연도 Year"), element("th", {}, "협약 Agreed"),
              element("th", {}, "집행 Disbursed"), element("th", {}, "채용 Hires"),
              element("th", {}, "입학 Enrolments")));
  for (const year of years) {
    const key = `byYear[programYear=${year.programYear}]`;
    table.append(element("tr", {}, element("td", {class: "label"}, String(year.programYear)),
        cell(source, `${key}.agreedKrw`, year.agreedKrw, krw),
        cell(source, `${key}.disbursedKrw`, year.disbursedKrw, krw),
        cell(source, `${key}.hireCount`, year.hireCount, count),
        cell(source, `${key}.enrolmentCount`, year.enrolmentCount, count)));
  }
  section.append(element("h3", {}, "연도별 Money and hires by year"), table);
  const chartId = `chart-${source}`;
  section.append(element("div", {class: "chart"}, element("canvas", {id: chartId})));
  const mine = consortia.filter(c => c.programId === summary.programId);
  const hiresChartId = `hires-${source}`;
  section.append(element("h3", {}, "채용 대비 목표 Hires against the target, by consortium"),
                 element("div", {class: "chart"}, element("canvas", {id: hiresChartId})));
  $("programs").append(section);
  barChart(hiresChartId, mine.map(c => c.consortiumId), [
    {label: "채용 Hires", data: mine.map(c => Number(c.hireCount || 0)),
     backgroundColor: PAID_COLOUR},
    {label: "목표 Target", data: mine.map(c => Number(c.hireTarget || 0)),
     backgroundColor: LIMIT_COLOUR},
  ]);
  barChart(chartId, years.map(y => String(y.programYear)), [
    {label: "협약 Agreed (KRW)", data: years.map(y => Number(y.agreedKrw || 0)),
     backgroundColor: AGREED_COLOUR},
    {label: "집행 Disbursed (KRW)", data: years.map(y => Number(y.disbursedKrw || 0)),
     backgroundColor: PAID_COLOUR},
  ]);
}

function renderConsortium(consortium) {
  const source = `consortium:${consortium.consortiumId}`;
  const box = element("div", {class: "consortium", "data-testid": source});
  box.append(element("h3", {},
      `${consortium.consortiumId} · ${consortium.regionNameKo} (${consortium.regionCode}) · ` +
      `${consortium.fieldKo} / ${consortium.fieldEn} · `,
      figure("span", source, "state", consortium.state, s => String(s).replace("CONSORTIUM_STATE_", ""))));
  box.append(element("div", {class: "figures"},
      labelled("집행", "Disbursed", source, "disbursedTotalKrw", consortium.disbursedTotalKrw, krw),
      labelled("한도", "Limit", source, "limitTotalKrw", consortium.limitTotalKrw, krw),
      labelled("잔액", "Remaining", source, "remainingTotalKrw", consortium.remainingTotalKrw, krw),
      labelled("채용", "Hires", source, "hireCount", consortium.hireCount, count),
      labelled("채용 목표", "Hire target", source, "hireTarget", consortium.hireTarget, count),
      labelled("재학", "Enrolled", source, "researcherCounts.enrolled",
               (consortium.researcherCounts || {}).enrolled, count),
      labelled("졸업", "Graduated", source, "researcherCounts.graduated",
               (consortium.researcherCounts || {}).graduated, count)));
  const years = consortium.fundingByYear || [];
  const table = element("table", {},
      element("tr", {}, element("th", {class: "label"}, "연도 Year"),
              element("th", {}, "협약 Agreement"), element("th", {}, "연 한도 Annual limit"),
              element("th", {}, "집행 Disbursed"), element("th", {}, "잔액 Remaining")));
  for (const year of years) {
    const key = `fundingByYear[programYear=${year.programYear}]`;
    table.append(element("tr", {}, element("td", {class: "label"}, String(year.programYear)),
        cell(source, `${key}.committedKrw`, year.committedKrw, krw),
        cell(source, `${key}.annualLimitKrw`, year.annualLimitKrw, krw),
        cell(source, `${key}.disbursedKrw`, year.disbursedKrw, krw),
        cell(source, `${key}.remainingKrw`, year.remainingKrw, krw)));
  }
  box.append(table);
  const chartId = `chart-${source}`;
  box.append(element("div", {class: "chart"}, element("canvas", {id: chartId})));
  const history = element("table", {},
      element("tr", {}, element("th", {class: "label"}, "상태 State"),
              element("th", {class: "label"}, "사유 Reason"), element("th", {class: "label"}, "일시 When (UTC)")));
  for (const change of consortium.stateHistory || []) {
    history.append(element("tr", {},
        element("td", {class: "label"}, String(change.state).replace("CONSORTIUM_STATE_", "")),
        element("td", {class: "label"}, change.reason || ""),
        element("td", {class: "label"}, change.occurredAt || "")));
  }
  box.append(element("h3", {}, "상태 이력 State history"), history);
  $("consortia").append(box);
  barChart(chartId, years.map(y => String(y.programYear)), [
    {label: "협약 Agreement (KRW)", data: years.map(y => Number(y.committedKrw || 0)),
     backgroundColor: AGREED_COLOUR},
    {label: "연 한도 Annual limit (KRW)", data: years.map(y => Number(y.annualLimitKrw || 0)),
     backgroundColor: LIMIT_COLOUR},
    {label: "집행 Disbursed (KRW)", data: years.map(y => Number(y.disbursedKrw || 0)),
     backgroundColor: PAID_COLOUR},
  ]);
}

function hex(base64) {
  return Array.from(atob(base64 || ""), c => c.charCodeAt(0).toString(16).padStart(2, "0")).join("");
}

async function renderTreeHead() {
  const box = $("tree-head");
  box.replaceChildren();
  try {
    const head = await api("/v1/treeHead");
    box.append(element("div", {class: "figures"},
        labelled("기록 수", "Events", "tree", "treeSize", head.treeSize, count),
        labelled("서명 시각", "Signed at (UTC)", "tree", "timestamp", head.timestamp, t => t || "")),
        element("p", {}, "루트 해시 Root hash: ", element("code", {"data-testid": "root-hash"}, hex(head.rootHash))));
  } catch (error) {
    box.append(element("p", {}, error.status === 403
        ? "이 신원에는 감사 정보가 공개되지 않습니다 · The audit service is not for this identity's role."
        : `트리 헤드를 읽을 수 없습니다 · Cannot read the tree head: ${error.message}`));
  }
}

async function refresh() {
  try {
    const consortia = await allConsortia();
    consortia.sort((a, b) => a.consortiumId.localeCompare(b.consortiumId));
    const programIds = [...new Set(consortia.map(c => c.programId))].sort();
    const summaries = await Promise.all(
        programIds.map(id => api(`/v1/programs/${encodeURIComponent(id)}/summary`)));
    $("programs").replaceChildren();
    $("consortia").replaceChildren();
    summaries.forEach(summary => renderProgram(summary, consortia));
    consortia.forEach(renderConsortium);
    await renderTreeHead();
    $("error").textContent = "";
    $("updated").textContent = "갱신 Updated " + new Date().toISOString();
    document.body.dataset.loaded = String(Number(document.body.dataset.loaded || 0) + 1);
  } catch (error) {
    $("error").textContent = `읽기 실패 · Cannot read: ${error.message}`;
    if (error.status === 401) $("token-form").hidden = false;
  }
}

function start() {
  const fromHash = new URLSearchParams(location.hash.slice(1)).get("token");
  if (fromHash) {
    sessionStorage.setItem("alliance-token", fromHash);
    history.replaceState(null, "", location.pathname);  // keep it out of the address bar
  }
  token = sessionStorage.getItem("alliance-token") || "";
  $("token-form").addEventListener("submit", event => {
    event.preventDefault();
    token = $("token").value.trim();
    sessionStorage.setItem("alliance-token", token);
    $("token-form").hidden = true;
    refresh();
  });
  if (!token) {
    $("token-form").hidden = false;
    return;
  }
  refresh();
  setInterval(refresh, POLL_MS);
}

start();

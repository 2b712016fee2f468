// 协同办公平台 (demo): officer picker, robot button, assistant panel.
// The portal server signs the identity token (/api/token); this page only carries it into the iframe URL.
(function () {
  "use strict";
  const select = document.getElementById("officer-select");
  const fab = document.getElementById("assistant-fab");
  const panel = document.getElementById("assistant-panel");
  const frame = document.getElementById("assistant-frame");
  const message = document.getElementById("panel-message");
  const who = document.getElementById("panel-who");
  let officers = [];
  let tokenExpires = 0;      // seconds since epoch; a new token is fetched when the panel opens after this
  let loadedFor = null;      // org id the iframe was opened for

  function greeting() {
    const h = new Date().getHours();
    return h < 11 ? "上午好" : h < 13 ? "中午好" : h < 18 ? "下午好" : "晚上好";
  }

  function showMessage(text) {
    message.textContent = text;
    message.hidden = !text;
  }

  function current() {
    return officers.find((o) => String(o.org_id) === select.value);
  }

  function showIdentity() {
    const o = current();
    if (!o) return;
    const person = o.officer.replace(/（.*）/, "");
    document.getElementById("user-name").textContent = `${person} · ${o.org_name}`;
    document.getElementById("user-avatar").textContent = person.charAt(0);
    document.getElementById("welcome-title").textContent = `${greeting()}，${person}！`;
    who.textContent = `${o.org_name} · ${o.officer}`;
  }

  async function loadOfficers() {
    try {
      const resp = await fetch("/api/officers", { cache: "no-store" });
      const data = await resp.json();
      if (!resp.ok) throw new Error(data.error || "无法读取组织列表");
      officers = data.officers;
      const indent = { "自治区总工会": "", "市总工会": "\u3000", "县区总工会": "\u3000\u3000" };
      select.innerHTML = "";
      for (const o of officers) {
        const opt = document.createElement("option");
        opt.value = String(o.org_id);
        opt.textContent = (indent[o.org_level] || "") + o.org_name;
        select.appendChild(opt);
      }
      const saved = localStorage.getItem("wenshu-portal-org");
      if (saved && officers.some((o) => String(o.org_id) === saved)) select.value = saved;
      showIdentity();
    } catch (err) {
      document.getElementById("user-name").textContent = "身份加载失败";
      showMessage(`无法读取组织列表：${err.message}`);
    }
  }

  async function openAssistant(force) {
    panel.hidden = false;
    fab.setAttribute("aria-expanded", "true");
    const o = current();
    if (!o) { showMessage("尚未获得登录身份，请稍后再试。"); return; }
    const now = Date.now() / 1000;
    if (!force && loadedFor === o.org_id && now < tokenExpires - 30) return;   // keep the conversation
    showMessage("正在打开智能问数助手…");
    try {
      const resp = await fetch(`/api/token?org=${encodeURIComponent(o.org_id)}`, { cache: "no-store" });
      const data = await resp.json();
      if (!resp.ok) throw new Error(data.error || "无法获取身份令牌");
      tokenExpires = data.expires_at;
      loadedFor = o.org_id;
      frame.onload = () => showMessage("");
      frame.src = data.url;
    } catch (err) {
      showMessage(`无法打开助手：${err.message}`);
    }
  }

  fab.addEventListener("click", () => (panel.hidden ? openAssistant(false) : closeAssistant()));
  document.getElementById("nav-assistant").addEventListener("click", (e) => { e.preventDefault(); openAssistant(false); });
  function closeAssistant() { panel.hidden = true; fab.setAttribute("aria-expanded", "false"); }
  document.getElementById("panel-close").addEventListener("click", closeAssistant);
  document.getElementById("panel-max").addEventListener("click", () => panel.classList.toggle("max"));
  select.addEventListener("change", () => {
    localStorage.setItem("wenshu-portal-org", select.value);
    showIdentity();
    if (!panel.hidden) openAssistant(true); else loadedFor = null;
  });
  const today = new Date();
  const days = "日一二三四五六";
  document.getElementById("welcome-sub").innerHTML =
    `今天是 ${today.getFullYear()}年${today.getMonth() + 1}月${today.getDate()}日 星期${days[today.getDay()]}，您有 <b>7</b> 项待办、<b>3</b> 份待阅公文。`;
  loadOfficers();
})();

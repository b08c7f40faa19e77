/// The web pages' own stylesheet and script: small, served by the service
/// itself (no CDN, no build step; the machines are offline). Pages work
/// without the script; it only follows a running job's log and state live.
enum WebAssets {
    static let stylesheet = """
        :root { --ink: #1d2430; --muted: #5b6577; --line: #d8dde6; --accent: #2357c6; --good: #1f7a3f; --bad: #b3261e; --bg: #f6f7f9; }
        * { box-sizing: border-box; }
        body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--ink); background: var(--bg); }
        header { background: #fff; border-bottom: 1px solid var(--line); }
        header nav { max-width: 1040px; margin: 0 auto; padding: .6rem 1rem; display: flex; gap: 1.2rem; align-items: center; }
        header nav .brand { font-weight: 700; color: var(--ink); }
        header nav .who { margin-left: auto; color: var(--muted); display: flex; gap: .6rem; align-items: center; }
        main { max-width: 1040px; margin: 1.5rem auto; padding: 0 1rem; }
        a { color: var(--accent); text-decoration: none; } a:hover { text-decoration: underline; }
        h1 { font-size: 1.5rem; margin: 0 0 1rem; } h2 { font-size: 1.15rem; margin: 1.6rem 0 .6rem; }
        .card { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 1rem 1.2rem; margin-bottom: 1rem; }
        table { width: 100%; border-collapse: collapse; background: #fff; border: 1px solid var(--line); border-radius: 8px; }
        th, td { text-align: left; padding: .45rem .7rem; border-bottom: 1px solid var(--line); vertical-align: top; }
        th { font-size: .8rem; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); }
        tr.mine td { background: #eef3ff; }
        .muted { color: var(--muted); } .num { font-variant-numeric: tabular-nums; }
        .state { display: inline-block; padding: 0 .5rem; border-radius: 999px; font-size: .85rem; background: #e8ebf0; }
        .state.succeeded { background: #dff3e6; color: var(--good); }
        .state.failed, .state.errored, .state.timed_out { background: #fbe4e2; color: var(--bad); }
        .state.running, .state.leased { background: #e3ecff; color: var(--accent); }
        pre { background: #0f1419; color: #e6e6e6; padding: .8rem 1rem; border-radius: 8px; overflow: auto; max-height: 28rem; font-size: .85rem; }
        form.inline { display: inline; }
        label { display: block; margin: .6rem 0 .2rem; font-weight: 600; }
        input[type=text], input[type=password], select { width: 100%; max-width: 28rem; padding: .45rem .6rem; border: 1px solid var(--line); border-radius: 6px; font: inherit; }
        button { background: var(--accent); color: #fff; border: 0; border-radius: 6px; padding: .45rem 1rem; font: inherit; cursor: pointer; }
        button.quiet { background: transparent; color: var(--accent); padding: 0; }
        button.danger { background: var(--bad); }
        .notice { border-left: 4px solid var(--accent); } .problem { border-left: 4px solid var(--bad); }
        .token { font-family: ui-monospace, monospace; word-break: break-all; background: #fff8e1; padding: .4rem .6rem; border-radius: 6px; }
        dl { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; margin: 0; } dt { color: var(--muted); }
        """

    static let script = """
        // Follows a running job: its log lines and state arrive as Server-Sent Events.
        (function () {
          var page = document.querySelector("[data-live]");
          if (!page || !window.EventSource) return;
          var log = document.getElementById("log"), state = document.getElementById("state");
          var source = new EventSource(page.getAttribute("data-live"));
          source.addEventListener("log", function (event) {
            if (log.getAttribute("data-fresh") !== "no") { log.textContent = ""; log.setAttribute("data-fresh", "no"); }
            log.textContent += event.data + "\\n";
            log.scrollTop = log.scrollHeight;
          });
          source.addEventListener("state", function (event) {
            var s = JSON.parse(event.data).state;
            state.textContent = s; state.className = "state " + s;
          });
          source.addEventListener("end", function () { source.close(); window.location.reload(); });
        })();
        """
}

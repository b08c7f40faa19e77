/// The pages' Mustache templates. Every value a user controls goes through
/// `{{…}}`, which escapes HTML (`& < > " '`); no template uses `{{{…}}}`.
enum WebTemplates {
    static let all: [String: String] = [
        "layout": layout, "sign-in": signIn, "competitions": competitions, "competition": competition,
        "submissions": submissions, "submission": submission, "admin-queue": adminQueue, "admin-nodes": adminNodes,
        "admin-users": adminUsers, "problem": problem,
    ]

    static let layout = """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{{$title}}Proctor{{/title}} · Proctor</title><link rel="stylesheet" href="/static/proctor.css"></head>
        <body><header><nav><a class="brand" href="/competitions">Proctor</a>
        {{#viewer}}<a href="/competitions">Competitions</a><a href="/submissions">My submissions</a>
        {{#admin}}<a href="/admin/queue">Queue</a><a href="/admin/nodes">Nodes</a><a href="/admin/users">Users &amp; tokens</a>{{/admin}}
        <span class="who"><span id="viewer">{{name}}</span><form class="inline" method="post" action="/sign-out">
        <input type="hidden" name="_csrf" value="{{csrf}}"><button class="quiet" id="sign-out">Sign out</button></form></span>{{/viewer}}
        </nav></header><main>{{$body}}{{/body}}</main><script src="/static/proctor.js"></script></body></html>
        """

    static let signIn = """
        {{<layout}}{{$title}}Sign in{{/title}}{{$body}}
        <h1>Sign in</h1>
        {{#message}}<div class="card problem" id="problem">{{message}}</div>{{/message}}
        <div class="card"><form method="post" action="/sign-in">
        <input type="hidden" name="_csrf" value="{{csrf}}"><input type="hidden" name="next" value="{{next}}">
        <label for="token">Your token</label><input type="password" id="token" name="token" autocomplete="off" required>
        <p class="muted">Paste the token an organizer gave you (pct_…), once: this browser then keeps a session, never the token.</p>
        <button id="sign-in">Sign in</button></form></div>
        {{/body}}{{/layout}}
        """

    static let competitions = """
        {{<layout}}{{$title}}Competitions{{/title}}{{$body}}
        <h1>Competitions</h1>
        <table id="competitions"><tr><th>Competition</th><th>Accepts</th><th>Status</th></tr>
        {{#competitions}}<tr><td><a href="/competitions/{{id}}">{{title}}</a><div class="muted">{{id}} v{{version}}</div></td>
        <td>{{accepts}}</td><td>{{status}}</td></tr>{{/competitions}}
        {{^competitions}}<tr><td colspan="3" class="muted">No competition yet.</td></tr>{{/competitions}}</table>
        {{/body}}{{/layout}}
        """

    static let competition = """
        {{<layout}}{{$title}}{{title}}{{/title}}{{$body}}
        <h1 id="title">{{title}}</h1>
        <div class="card"><p id="description">{{description}}</p><dl>
        <dt>Accepts</dt><dd>{{accepts}}</dd><dt>Ranking</dt><dd>{{ranking}}</dd>
        {{#endsAt}}<dt>Ends</dt><dd>{{endsAt}}</dd>{{/endsAt}}{{#perDay}}<dt>Per day</dt><dd>{{perDay}} submissions (UTC days)</dd>{{/perDay}}
        {{#environment}}<dt>Software</dt><dd>{{environment}}</dd>{{/environment}}</dl></div>
        <h2>Submit</h2>
        {{#open}}<div class="card"><form method="post" action="/competitions/{{id}}/submit" enctype="multipart/form-data">
        <input type="hidden" name="_csrf" value="{{csrf}}"><input type="hidden" name="competition" value="{{id}}">
        <label for="file">Your solution ({{accepts}})</label><input type="file" id="file" name="file" required>
        <p><button id="submit">Submit</button></p></form></div>{{/open}}
        {{^open}}<div class="card notice" id="closed">{{closed}}</div>{{/open}}
        <h2>Leaderboard</h2><p class="muted" id="basis">{{basis}}</p>
        <table id="leaderboard"><tr><th>#</th><th>Participant</th><th>Score</th><th>Entries</th><th>Submitted</th></tr>
        {{#rows}}<tr class="{{#mine}}mine{{/mine}}"><td class="num">{{rank}}</td><td class="user">{{user}}</td><td class="num">{{score}}</td>
        <td class="num">{{entries}}</td><td class="muted">{{when}}</td></tr>{{/rows}}
        {{^rows}}<tr><td colspan="5" class="muted">No scored submission yet.</td></tr>{{/rows}}</table>
        <h2>Limits</h2><table><tr><th>Limit</th><th>Solution</th><th>Grader</th></tr>
        {{#limits}}<tr><td>{{name}}</td><td class="num">{{solution}}</td><td class="num">{{grade}}</td></tr>{{/limits}}</table>
        <h2>Data</h2><p class="muted">Read-only at /data for your solution.</p>
        <ul id="files">{{#files}}<li>{{.}}</li>{{/files}}{{^files}}<li class="muted">none</li>{{/files}}</ul>
        {{/body}}{{/layout}}
        """

    static let submissions = """
        {{<layout}}{{$title}}My submissions{{/title}}{{$body}}
        <h1>My submissions</h1>
        <table id="submissions"><tr><th>Submitted</th><th>Competition</th><th>State</th><th>Score</th><th>Verdict</th></tr>
        {{#jobs}}<tr><td><a href="/submissions/{{id}}">{{when}}</a></td><td>{{competition}}</td>
        <td><span class="state {{state}}">{{state}}</span>{{#place}} <span class="muted">{{place}}</span>{{/place}}</td>
        <td class="num">{{score}}</td><td>{{verdict}}</td></tr>{{/jobs}}
        {{^jobs}}<tr><td colspan="5" class="muted">No submission yet.</td></tr>{{/jobs}}</table>
        {{/body}}{{/layout}}
        """

    static let submission = """
        {{<layout}}{{$title}}Submission to {{competition}}{{/title}}{{$body}}
        <h1>Submission to <a href="/competitions/{{competition}}">{{competition}}</a></h1>
        <div class="card" {{#live}}data-live="/submissions/{{id}}/live"{{/live}}><dl>
        <dt>State</dt><dd><span id="state" class="state {{state}}">{{state}}</span>{{#place}} <span class="muted">{{place}}</span>{{/place}}</dd>
        <dt>File</dt><dd>{{fileName}}</dd><dt>Submitted</dt><dd>{{when}}</dd>
        {{#score}}<dt>Score</dt><dd class="num" id="score">{{score}}</dd>{{/score}}
        {{#publicScore}}<dt>Public score</dt><dd class="num" id="public-score">{{publicScore}}</dd>{{/publicScore}}
        {{#verdict}}<dt>Verdict</dt><dd id="verdict">{{verdict}}</dd>{{/verdict}}</dl></div>
        {{#hasStages}}<h2>Resources</h2><table id="stages"><tr><th>Stage</th><th>Ended</th><th>CPU</th><th>Wall</th><th>Memory</th></tr>
        {{#stages}}<tr><td>{{stage}}</td><td>{{ended}}</td><td class="num">{{cpu}}</td><td class="num">{{wall}}</td><td class="num">{{memory}}</td></tr>{{/stages}}
        </table>{{/hasStages}}
        {{#results}}<h2>Results</h2><pre id="results">{{results}}</pre>{{/results}}
        <h2>Output</h2><pre id="log">{{log}}</pre>
        <h2>Events</h2><table id="events"><tr><th>When</th><th>State</th><th>Why</th></tr>
        {{#events}}<tr><td class="muted">{{at}}</td><td>{{to}}</td><td>{{reason}}</td></tr>{{/events}}</table>
        {{/body}}{{/layout}}
        """

    static let adminQueue = """
        {{<layout}}{{$title}}Queue{{/title}}{{$body}}
        <h1>Queue</h1><p class="muted">{{summary}}</p>
        <table id="queue"><tr><th>Submitted</th><th>User</th><th>Competition</th><th>State</th><th>Place</th></tr>
        {{#jobs}}<tr><td><a href="/submissions/{{id}}">{{when}}</a></td><td>{{user}}</td><td>{{competition}}</td>
        <td><span class="state {{state}}">{{state}}</span></td><td class="muted">{{place}}</td></tr>{{/jobs}}
        {{^jobs}}<tr><td colspan="5" class="muted">Nothing queued or running.</td></tr>{{/jobs}}</table>
        {{/body}}{{/layout}}
        """

    static let adminNodes = """
        {{<layout}}{{$title}}Nodes{{/title}}{{$body}}
        <h1>Nodes</h1>
        <table id="nodes"><tr><th>Node</th><th>Status</th><th>Slots</th><th>Labels</th><th>GPUs</th><th>Environments</th><th>Last seen</th></tr>
        {{#nodes}}<tr><td>{{name}}</td><td>{{status}}</td><td class="num">{{slots}}</td><td>{{labels}}</td>
        <td>{{#gpus}}<div>{{.}}</div>{{/gpus}}</td><td>{{#environments}}<div>{{.}}</div>{{/environments}}</td><td class="muted">{{seen}}</td></tr>{{/nodes}}
        {{^nodes}}<tr><td colspan="7" class="muted">No node.</td></tr>{{/nodes}}</table>
        {{/body}}{{/layout}}
        """

    static let adminUsers = """
        {{<layout}}{{$title}}Users and tokens{{/title}}{{$body}}
        <h1>Users and tokens</h1>
        {{#created}}<div class="card notice"><p>A new {{role}} token for <b>{{user}}</b>. Copy it now: it is not shown again.</p>
        <p class="token" id="new-token">{{token}}</p></div>{{/created}}
        <h2>Create a token</h2><div class="card"><form method="post" action="/admin/tokens">
        <input type="hidden" name="_csrf" value="{{csrf}}">
        <label for="user">User (made if new)</label><input type="text" id="user" name="user" required>
        <label for="role">Role</label><select id="role" name="role"><option>user</option><option>admin</option><option>worker</option></select>
        <label for="label">Label</label><input type="text" id="label" name="label">
        <label for="days">Expires in days (empty: never)</label><input type="text" id="days" name="expires_in_days">
        <p><button id="create-token">Create</button></p></form></div>
        <h2>Tokens</h2><table id="tokens"><tr><th>Id</th><th>User</th><th>Role</th><th>Label</th><th>Created</th><th>State</th><th></th></tr>
        {{#tokens}}<tr><td class="num">{{id}}</td><td>{{user}}</td><td>{{role}}</td><td>{{label}}</td><td class="muted">{{created}}</td><td>{{status}}</td>
        <td>{{#active}}<form class="inline" method="post" action="/admin/tokens/{{id}}/revoke"><input type="hidden" name="_csrf" value="{{csrf}}">
        <button class="danger">Revoke</button></form>{{/active}}</td></tr>{{/tokens}}</table>
        {{/body}}{{/layout}}
        """

    static let problem = """
        {{<layout}}{{$title}}{{title}}{{/title}}{{$body}}
        <h1>{{title}}</h1><div class="card problem"><p id="problem">{{detail}}</p>
        {{#retry}}<p class="muted">You may try again in {{retry}}.</p>{{/retry}}<p><a href="{{back}}">Back</a></p></div>
        {{/body}}{{/layout}}
        """
}

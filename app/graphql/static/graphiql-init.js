// Starts GraphiQL on this endpoint (no inline script: see the page's CSP).
const fetcher = GraphiQL.createFetcher({ url: window.location.pathname });
ReactDOM.createRoot(document.getElementById("graphiql")).render(
  React.createElement(GraphiQL, { fetcher: fetcher, defaultEditorToolsVisibility: true }),
);

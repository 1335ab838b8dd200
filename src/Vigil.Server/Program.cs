using Vigil.Server;

var app = VigilServer.Build(args);
await app.RunAsync();

using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using StackExchange.Redis;

namespace RabbitHa.Redis.Tests.Support;

/// <summary>
/// A real <c>redis-server</c>, a child process of the test run: on 127.0.0.1 only, on a free port, with a password generated
/// for it, nothing saved to disk (its data goes with the process), configuration and log in a temporary directory. It can be
/// killed (SIGKILL: everything in it is lost, as with a crash), started again on the same port, and paused.
/// </summary>
internal sealed class RedisServer : IAsyncDisposable
{
    private static readonly TimeSpan s_startTimeout = TimeSpan.FromSeconds(20);

    private readonly string _directory;
    private readonly string _configPath;
    private Process? _process;
    private ConnectionMultiplexer? _admin;

    private RedisServer(string directory, int port, string password)
    {
        _directory = directory;
        _configPath = Path.Combine(directory, "redis.conf");
        Port = port;
        Password = password;
    }

    public int Port { get; }

    /// <summary>Gets the generated password (<c>requirepass</c>).</summary>
    public string Password { get; }

    /// <summary>Gets the endpoint as the store logs it.</summary>
    public string Endpoint => $"127.0.0.1:{Port}";

    /// <summary>Gets a StackExchange.Redis configuration string for this server, with its password.</summary>
    public string Configuration => $"127.0.0.1:{Port},password={Password}";

    /// <summary>Gets the process id of the running server, or null while it is killed.</summary>
    public int? ProcessId => _process is { HasExited: false } p ? p.Id : null;

    public static async Task<RedisServer> StartAsync()
    {
        string serverPath = RedisAvailability.ServerPath ?? throw new InvalidOperationException(RedisAvailability.UnavailableReason);
        string directory = Directory.CreateTempSubdirectory("rabbitha-redis-").FullName;
        var server = new RedisServer(directory, FreePort(), Convert.ToHexString(RandomNumberGenerator.GetBytes(24)).ToLowerInvariant());
        await File.WriteAllTextAsync(server._configPath, string.Join('\n',
            "bind 127.0.0.1",
            "protected-mode yes",
            string.Create(CultureInfo.InvariantCulture, $"port {server.Port}"),
            $"requirepass {server.Password}",
            "save \"\"",
            "appendonly no",
            $"dir {directory}",
            $"logfile {Path.Combine(directory, "redis.log")}",
            "daemonize no",
            string.Empty));
        try
        {
            await server.LaunchAsync(serverPath);
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }

        return server;
    }

    /// <summary>Kills the server (SIGKILL, by its process id) and waits until it is gone: a crash, with everything it held.</summary>
    public async Task KillAsync()
    {
        Process? process = _process;
        if (process is null || process.HasExited)
        {
            return;
        }

        process.Kill();
        await process.WaitForExitAsync();
    }

    /// <summary>Starts the server again on the same port, with the same password, empty; returns once it answers PING.</summary>
    public Task RestartAsync() => LaunchAsync(RedisAvailability.ServerPath!);

    /// <summary>Makes the server hold every client's commands for <paramref name="duration"/> (<c>CLIENT PAUSE ... ALL</c>): a slow Redis.</summary>
    public async Task PauseAsync(TimeSpan duration)
    {
        IServer server = Admin().GetServer("127.0.0.1", Port);
        await server.ExecuteAsync("CLIENT", "PAUSE", ((long)duration.TotalMilliseconds).ToString(CultureInfo.InvariantCulture), "ALL");
    }

    /// <summary>The value of a key, read on a connection of the test's own.</summary>
    public async Task<string?> GetAsync(string key) => await Admin().GetDatabase().StringGetAsync(key);

    /// <summary>The time to live of a key, or null when it has none or does not exist.</summary>
    public async Task<TimeSpan?> TimeToLiveAsync(string key) => await Admin().GetDatabase().KeyTimeToLiveAsync(key);

    public async Task SetAsync(string key, string value, TimeSpan? expiry = null)
    {
        if (expiry is { } ttl)
        {
            await Admin().GetDatabase().StringSetAsync(key, value, ttl);
        }
        else
        {
            await Admin().GetDatabase().StringSetAsync(key, value);
        }
    }

    /// <summary>Empties Redis's script cache (<c>SCRIPT FLUSH</c>), as a restart does.</summary>
    public Task FlushScriptsAsync() => Admin().GetServer("127.0.0.1", Port).ScriptFlushAsync();

    /// <summary>The keys that start with <paramref name="prefix"/>.</summary>
    public async Task<string[]> KeysAsync(string prefix)
    {
        var keys = new List<string>();
        await foreach (RedisKey key in Admin().GetServer("127.0.0.1", Port).KeysAsync(pattern: Escape(prefix) + "*"))
        {
            keys.Add(key!);
        }

        return [.. keys];
    }

    public async ValueTask DisposeAsync()
    {
        if (_admin is not null)
        {
            await _admin.DisposeAsync();
        }

        await KillAsync();
        _process?.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A file still held open: the temporary directory is left.
        }
    }

    /// <summary>The last lines of the server's own log, for a failure message.</summary>
    public string LogTail()
    {
        string log = Path.Combine(_directory, "redis.log");
        return File.Exists(log) ? string.Join('\n', File.ReadLines(log).TakeLast(20)) : "(no log)";
    }

    private async Task LaunchAsync(string serverPath)
    {
        var start = new ProcessStartInfo(serverPath, [_configPath])
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = _directory,
        };
        _process?.Dispose();
        _process = Process.Start(start) ?? throw new InvalidOperationException($"redis-server did not start ({serverPath}).");
        _process.OutputDataReceived += static (_, _) => { };
        _process.ErrorDataReceived += static (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"redis-server exited at start with code {_process.ExitCode}: {LogTail()}");
            }

            if (await PingAsync())
            {
                return;
            }

            if (clock.Elapsed > s_startTimeout)
            {
                throw new TimeoutException($"redis-server on port {Port} did not answer PING within {s_startTimeout.TotalSeconds:F0} s: {LogTail()}");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>PING with AUTH on a raw socket, so that the answer is this server's now, whatever a pooled connection thinks.</summary>
    private async Task<bool> PingAsync()
    {
        try
        {
            using var client = new TcpClient();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await client.ConnectAsync(IPAddress.Loopback, Port, timeout.Token);
            NetworkStream stream = client.GetStream();
            byte[] command = System.Text.Encoding.ASCII.GetBytes($"AUTH {Password}\r\nPING\r\n");
            await stream.WriteAsync(command, timeout.Token);
            var buffer = new byte[64];
            var answer = new System.Text.StringBuilder();
            while (!answer.ToString().Contains("PONG", StringComparison.Ordinal))
            {
                int read = await stream.ReadAsync(buffer, timeout.Token);
                if (read == 0)
                {
                    return false;
                }

                answer.Append(System.Text.Encoding.ASCII.GetString(buffer, 0, read));
                if (answer.ToString().Contains("-ERR", StringComparison.Ordinal) || answer.ToString().Contains("-LOADING", StringComparison.Ordinal))
                {
                    return false;
                }
            }

            return true;
        }
        catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException)
        {
            return false;
        }
    }

    private ConnectionMultiplexer Admin()
    {
        if (_admin is null)
        {
            var options = ConfigurationOptions.Parse(Configuration);
            options.AllowAdmin = true;
            options.AbortOnConnectFail = false;
            _admin = ConnectionMultiplexer.Connect(options);
        }

        return _admin;
    }

    private static string Escape(string pattern) =>
        pattern.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("*", "\\*", StringComparison.Ordinal)
            .Replace("?", "\\?", StringComparison.Ordinal).Replace("[", "\\[", StringComparison.Ordinal);

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>One Redis server for a test class (xUnit class fixture): each class gets its own, so that one class may kill or pause it.</summary>
public sealed class RedisServerFixture : IAsyncLifetime
{
    private RedisServer? _server;
    private Exception? _startFailure;

    internal RedisServer Server => _server ?? throw new InvalidOperationException(
        RedisAvailability.UnavailableReason ?? $"The Redis server did not start: {_startFailure?.Message}", _startFailure);

    public async Task InitializeAsync()
    {
        if (RedisAvailability.ServerPath is null)
        {
            return;
        }

        try
        {
            _server = await RedisServer.StartAsync();
        }
        // Rethrown by Server at first use, so that each test reports the real error.
        catch (Exception ex)
        {
            _startFailure = ex;
        }
    }

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}

using Microsoft.AspNetCore.Identity;

namespace Switchboard.Features.Accounts;

/// <summary>Account creation shared by the members API, the demo data and the <c>users</c> command.</summary>
public static class UserAccounts
{
    /// <summary>A random 16-character password for accounts whose owner sets their own later.</summary>
    public static string NewPassword() =>
        Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(12)).Replace('+', 'x').Replace('/', 'y');

    public static async Task<(AppUser? User, Dictionary<string, string[]>? Errors)> CreateAsync(
        UserManager<AppUser> users, string email, string displayName, string password, bool platformAdmin = false)
    {
        var user = new AppUser { UserName = email, Email = email, DisplayName = displayName, IsPlatformAdmin = platformAdmin, EmailConfirmed = true };
        var result = await users.CreateAsync(user, password);
        if (result.Succeeded)
        {
            return (user, null);
        }
        // Identity's error codes say which field is at fault: PasswordTooShort, DuplicateEmail, InvalidEmail...
        var errors = result.Errors
            .GroupBy(e => e.Code.StartsWith("Password", StringComparison.Ordinal) ? "password" : "email")
            .ToDictionary(g => g.Key, g => g.Select(e => e.Description).ToArray());
        return (null, errors);
    }
}

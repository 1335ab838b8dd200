namespace Vigil.Engine.Evaluation;

/// <summary>A NAB application profile: weights of true positives, false negatives and false positives.</summary>
/// <param name="Name">Profile name as NAB spells it.</param>
/// <param name="TruePositiveWeight">Weight of an early detection.</param>
/// <param name="FalseNegativeWeight">Cost of a missed window.</param>
/// <param name="FalsePositiveWeight">Cost of a detection far from any window.</param>
public sealed record NabProfile(string Name, double TruePositiveWeight, double FalseNegativeWeight, double FalsePositiveWeight)
{
    /// <summary>NAB's standard profile (1, 1, 0.11).</summary>
    public static NabProfile Standard { get; } = new("standard", 1.0, 1.0, 0.11);

    /// <summary>NAB's reward_low_FP_rate profile (1, 1, 0.22).</summary>
    public static NabProfile RewardLowFalsePositives { get; } = new("reward_low_FP_rate", 1.0, 1.0, 0.22);

    /// <summary>NAB's reward_low_FN_rate profile (1, 2, 0.11).</summary>
    public static NabProfile RewardLowFalseNegatives { get; } = new("reward_low_FN_rate", 1.0, 2.0, 0.11);

    /// <summary>The three published profiles.</summary>
    public static IReadOnlyList<NabProfile> All { get; } = [Standard, RewardLowFalsePositives, RewardLowFalseNegatives];
}

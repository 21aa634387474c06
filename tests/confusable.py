"""A guide of confusable framework names, for the matching tables (no fixture of a real guide)."""

from bot.guide import Framework
from tests.conftest import make_framework

CONFUSABLE: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("Flask", "Python", ()),
    ("Falcon", "Python", ()),
    ("FastAPI", "Python", ()),
    ("Django", "Python", ("dj",)),
    ("Quart", "Python", ()),
    ("Sanic", "Python", ()),
    ("Bottle", "Python", ()),
    ("Pyramid", "Python", ()),
    ("Tornado", "Python", ()),
    ("Node.js", "JavaScript", ("node",)),
    ("Express", "JavaScript", ("expressjs",)),
    ("NestJS", "TypeScript", ("nest",)),
    ("Next.js", "JavaScript", ()),
    ("Nuxt", "JavaScript", ()),
    ("Koa", "JavaScript", ()),
    ("Hapi", "JavaScript", ()),
    ("Fastify", "JavaScript", ()),
    ("Sails.js", "JavaScript", ("sails",)),
    ("Meteor", "JavaScript", ()),
    ("Ruby on Rails", "Ruby", ("rails", "ror")),
    ("Sinatra", "Ruby", ()),
    ("Hanami", "Ruby", ()),
    ("Roda", "Ruby", ()),
    ("Grails", "Groovy", ()),
    ("Spring", "Java", ("spring framework",)),
    ("Spring Boot", "Java", ()),
    ("Quarkus", "Java", ()),
    ("Micronaut", "Java", ()),
    ("Javalin", "Java", ()),
    ("Vert.x", "Java", ("vertx",)),
    ("Dropwizard", "Java", ()),
    ("Play Framework", "Scala", ("play",)),
    ("Laravel", "PHP", ()),
    ("Lumen", "PHP", ()),
    ("Symfony", "PHP", ()),
    ("Slim", "PHP", ()),
    ("CakePHP", "PHP", ()),
    ("CodeIgniter", "PHP", ()),
    ("Mezzio", "PHP", ("expressive", "zend expressive")),
    ("Gin", "Go", ()),
    ("Echo", "Go", ()),
    ("Fiber", "Go", ()),
    ("Chi", "Go", ()),
    ("Beego", "Go", ()),
    ("Revel", "Go", ()),
    ("ASP.NET Core", "C#", ()),
    ("Nancy", "C#", ()),
    ("Phoenix", "Elixir", ()),
    ("Plug", "Elixir", ()),
    ("Actix Web", "Rust", ("actix",)),
    ("Axum", "Rust", ()),
    ("Rocket", "Rust", ()),
    ("Warp", "Rust", ()),
    ("Ktor", "Kotlin", ()),
)
"""Name, language and aliases: the pairs a learner confuses sit side by side."""


def confusable_guide() -> tuple[Framework, ...]:
    """Return the confusable frameworks, in the order above."""
    return tuple(
        make_framework(name, language, aliases=aliases) for name, language, aliases in CONFUSABLE
    )

"""Every part of the schema a client reads in GraphiQL or codegen output says what it is."""

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    build_schema,
)

from graphql_schema.schema import create_schema


def undescribed(schema: GraphQLSchema) -> list[str]:
    """Schema coordinates (`Type.field(arg:)`) of everything without a description."""
    missing: list[str] = []
    for name, type_ in schema.type_map.items():
        if name.startswith("__"):
            continue
        if not type_.description:
            missing.append(name)
        if isinstance(type_, GraphQLObjectType | GraphQLInterfaceType):
            for field_name, field in type_.fields.items():
                if not field.description:
                    missing.append(f"{name}.{field_name}")
                missing.extend(
                    f"{name}.{field_name}({arg_name}:)"
                    for arg_name, arg in field.args.items()
                    if not arg.description
                )
        elif isinstance(type_, GraphQLInputObjectType):
            missing.extend(
                f"{name}.{field_name}"
                for field_name, field in type_.fields.items()
                if not field.description
            )
        elif isinstance(type_, GraphQLEnumType):
            missing.extend(
                f"{name}.{value_name}"
                for value_name, value in type_.values.items()
                if not value.description
            )
    return missing


def test_every_type_field_argument_and_enum_value_is_described() -> None:
    missing = undescribed(create_schema()._schema)
    assert not missing, f"add a description to: {', '.join(missing)}"


def test_undescribed_parts_are_found() -> None:
    schema = build_schema(
        """
        "Root." type Query { "Described." a(x: Int, "Described." y: Int): E  b: Int }
        "Enum." enum E { ONE "Described." TWO }
        "Input." input I { "Described." p: Int q: Int }
        """
    )
    assert undescribed(schema) == ["Query.a(x:)", "Query.b", "E.ONE", "I.q"]


def test_scalars_name_their_format() -> None:
    type_map = create_schema()._schema.type_map
    specified_by = {
        name: type_.specified_by_url
        for name in ("DateTime", "Upload")
        if isinstance(type_ := type_map[name], GraphQLScalarType)
    }
    assert specified_by == {
        "DateTime": "https://datatracker.ietf.org/doc/html/rfc3339",
        "Upload": "https://github.com/jaydenseric/graphql-multipart-request-spec",
    }
